"""What the load data is made of: its addresses, the sizes at scale 1 and its small vocabulary.

A plain module, so that the benchmark's page list (bench/pages.py) and the tests can name the
benchmark's learner and long topic without importing the management command.
"""

DOMAIN = "load.example"
BENCH_LEARNER_EMAIL = f"learner00001@{DOMAIN}"
INSTRUCTOR_EMAIL = f"instructor@{DOMAIN}"
STAFF_EMAIL = f"staff@{DOMAIN}"
# The long topic of the issue: the first topic, in the first category.
LONG_TOPIC_TITLE = "Weekly check-in: what moved in your sessions this week?"
UNUSABLE_PASSWORD = "!seed-load"

# Every count but the curriculum scales with --scale. The enrolment side follows what a
# program of 5,000 learners sees: about one person on a waitlist for every three learners,
# an offer for two in five of them, one aid request per twenty learners, and a checkout
# (seat hold) behind every paid enrolment plus one abandoned for every ten.
AT_SCALE_1 = {
    "lessons_per_course": 20,
    "cohorts_per_course": 10,
    "learners": 5_000,
    "progress": 100_000,
    "questions": 20_000,
    "library_entries": 5_000,
    "topics": 2_000,
    "posts": 200_000,
    "long_topic_posts": 5_000,
    "subscribers": 100_000,
    "waitlist": 1_500,
    "aid_requests": 250,
}

COURSES = [
    (1, "how-therapy-works", "How Therapy Works", "The Affect Avoidance Model."),
    (2, "what-therapists-do", "What Therapists Do", "Practical session management."),
    (3, "treatable-problems", "Treatable Problems & Practical Approaches", "A catalog."),
]
FIRST_NAMES = [
    "Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kira",
    "Leo", "Maya", "Noor", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor",
    "Wen", "Yara", "Zoe",
]  # fmt: skip
CREDENTIALS = ["LMHC", "LCSW", "PhD", "PsyD", "LPC", "LMFT", "MSW", ""]
THEMES = [
    "shame", "guilt", "grief", "anxiety", "avoidance", "transference", "formulation", "trauma",
    "dissociation", "compulsions", "automatic thoughts", "the inner child", "anger",
    "self-criticism", "the first session", "endings",
]  # fmt: skip
SENTENCES = [
    "My client keeps circling back to {t} whenever we get close to the feeling itself.",
    "I noticed {t} showing up in the room before either of us named it.",
    "The chapter's point about {t} changed how I open the second half of a session.",
    "How do you stay with {t} without pushing the client faster than they can go?",
    "We spent most of the hour on {t}, and the avoided affect finally came through.",
    "Supervision helped me see my own part in the {t} pattern.",
    "In the Friday group the instructor described {t} as a cover for an older feeling.",
    "I tried the formulation template on a case dominated by {t}; it fit surprisingly well.",
    "Does anyone have a reading suggestion on {t} in couples work?",
    "The podcast episode gave me words for {t} that my clients actually use.",
    "When {t} rises I slow down, reflect, and ask what it protects against.",
    "I am still unsure how to tell {t} apart from an entrenched maladaptive pattern.",
]
FORUM_CATEGORIES = [
    ("Introductions", "introductions", False),
    ("Lessons and chapters", "lessons-and-chapters", False),
    ("Cases (de-identified)", "cases", False),
    ("Friday groups", "friday-groups", False),
    ("Resources and readings", "resources", False),
    ("Practice and business", "practice", False),
    ("Peer consultation circle", "peer-circle", True),
]
LIBRARY_TOPICS = [
    "Shame & guilt", "Grief", "Anxiety", "Avoidance", "Transference", "Formulation", "Trauma",
    "Compulsions", "Emotion", "First sessions", "Endings", "Self-criticism",
]  # fmt: skip
