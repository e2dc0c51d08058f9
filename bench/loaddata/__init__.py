"""Synthetic data at the size a successful program reaches (`manage.py seed_load`).

At scale 1: 3 courses, 60 lessons, 30 cohorts, 5,000 learners, 100,000 progress rows,
20,000 questions, 5,000 library entries, 2,000 forum topics with 200,000 posts (one topic
with 5,000), 100,000 newsletter readers, 1,500 waitlist entries, about 850 offers, 250 aid
requests and 5,500 seat holds. Every count but the curriculum (three trimesters of 20
lessons) scales with N; a fraction such as 0.01 makes a small set for tests.

The data is deterministic: the same scale and seed give the same rows in the same order
(dates are relative to the day it runs, so that one run of each trimester is open now).
Rows are made by iterators and written in batches (or streamed with COPY), and what later
steps need of earlier ones is kept as primary keys in compact arrays or recomputed from the
row's number, so memory stays flat whatever the scale. Nobody can sign in with a password:
every account has an unusable one. Secrets (feed, unsubscribe, offer tokens) are random.

Modules: `names` (addresses, sizes, vocabulary), `writing` (batches and COPY), `program`
(the `Load` being built: curriculum, learners, progress), `enrolment` (holds, waitlist,
offers, aid), `content` (questions, library, forum, newsletter), `tables` (reset, counts).
"""
