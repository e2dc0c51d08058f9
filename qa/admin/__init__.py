"""The instructor's Q&A queue and the library, in the admin.

Question text is shown only through `QuestionAdmin` (qa/admin/questions.py), which needs
`qa.view_question` (the Instructor group). No other admin displays a question: answers and
replies have no admin of their own (the answer is an inline of the question), and a library
entry (qa/admin/library.py) shows its question only beside its rewrite, to those who may see
every question, and records that view.
"""

from qa.admin import library, questions

__all__ = ["library", "questions"]
