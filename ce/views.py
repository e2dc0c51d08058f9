"""The learner's CE transcript, post-test, evaluation and certificate; the public verification
page. A learner reaches only their own records and the trimesters they have access to: anything
else is a 404 (DESIGN.md)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ce import services
from ce.forms import CertificateNameForm, EvaluationForm, PostTestForm
from ce.models import Certificate, CourseCredit, EvaluationQuestion, PostTest
from ce.pdf import certificate_pdf
from courses.models import Course
from lib.typed import AuthenticatedHttpRequest


def get_course(request: HttpRequest, course_slug: str) -> Course:
    return get_object_or_404(Course.objects.accessible_to(request.user), slug=course_slug)


@login_required
@never_cache
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every trimester the learner can open, with its hours so far."""
    courses = Course.objects.accessible_to(request.user).filter(
        pk__in=CourseCredit.objects.values("course_id")
    )
    transcripts = [services.build_transcript(user=request.user, course=c) for c in courses]
    return render(request, "ce/index.html", {"transcripts": transcripts})


def render_transcript(
    request: AuthenticatedHttpRequest, course: Course, form: CertificateNameForm | None = None
) -> HttpResponse:
    t = services.build_transcript(user=request.user, course=course)
    user = request.user
    context = {
        "t": t,
        "recordings": services.watchable_recordings(user=user, cohort=t.cohort),
        "form": form
        or CertificateNameForm(
            initial={"name": user.display_name, "credentials": user.credentials}
        ),
    }
    return render(request, "ce/transcript.html", context)


@login_required
@never_cache
def transcript(request: AuthenticatedHttpRequest, course_slug: str) -> HttpResponse:
    return render_transcript(request, get_course(request, course_slug))


@login_required
@require_POST
def recording_watched(request: AuthenticatedHttpRequest, course_slug: str, pk: int) -> HttpResponse:
    course = get_course(request, course_slug)
    cohort = services.current_cohort(request.user, course)
    sessions = services.watchable_recordings(user=request.user, cohort=cohort)
    session = next((s for s in sessions if s.pk == pk), None)
    if session is None:
        raise Http404
    services.mark_recording_watched(user=request.user, session=session)
    messages.success(request, f"Noted: you watched the recording of “{session.topic}”.")
    return redirect("ce:transcript", course_slug=course.slug)


@login_required
@never_cache
def post_test(request: AuthenticatedHttpRequest, course_slug: str) -> HttpResponse:
    course = get_course(request, course_slug)
    test = get_object_or_404(
        PostTest.objects.filter(questions__isnull=False).distinct(), course=course
    )
    if request.method == "POST":
        form = PostTestForm(request.POST, questions=list(test.questions.all()))
        if form.is_valid():
            percent = services.score(test, form.answers())
            result = services.record_attempt(user=request.user, post_test=test, percent=percent)
            passed = percent >= test.pass_percent
            verdict = "You passed." if passed else f"The pass mark is {test.pass_percent}%."
            best = f" Your best: {result.best_percent}%." if result.attempts > 1 else ""
            messages.success(request, f"You scored {percent}%. {verdict}{best}")
            return redirect("ce:transcript", course_slug=course.slug)
    else:
        form = PostTestForm(questions=services.questions_in_random_order(test))
    return render(request, "ce/post_test.html", {"course": course, "test": test, "form": form})


@login_required
@never_cache
def evaluation(request: AuthenticatedHttpRequest, course_slug: str) -> HttpResponse:
    course = get_course(request, course_slug)
    questions = list(EvaluationQuestion.objects.filter(course=course))
    if not questions:
        raise Http404
    done = course.ce_evaluations.filter(user=request.user).exists()
    form = EvaluationForm(request.POST or None, questions=questions)
    if request.method == "POST" and not done and form.is_valid():
        cohort = services.current_cohort(request.user, course)
        services.submit_evaluation(
            user=request.user, course=course, cohort=cohort, answers=form.answers()
        )
        messages.success(request, "Thank you: your evaluation is in.")
        return redirect("ce:transcript", course_slug=course.slug)
    context = {"course": course, "form": form, "done": done}
    return render(request, "ce/evaluation.html", context)


@login_required
@require_POST
def issue(request: AuthenticatedHttpRequest, course_slug: str) -> HttpResponse:
    course = get_course(request, course_slug)
    form = CertificateNameForm(request.POST)
    if not form.is_valid():
        return render_transcript(request, course, form)
    try:
        certificate = services.issue_certificate(
            user=request.user, course=course, **form.cleaned_data
        )
    except services.CertificateRefused as refused:
        messages.error(request, f"Not yet: {refused}")
        return redirect("ce:transcript", course_slug=course.slug)
    return redirect(certificate)


@login_required
@never_cache
def certificate_pdf_view(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The PDF, for its holder, and for staff allowed to see certificates."""
    certificate = get_object_or_404(Certificate.objects.select_related("course"), code=code)
    mine = certificate.user_id == request.user.pk
    if not (mine or request.user.has_perm("ce.view_certificate")):
        raise Http404
    verify_url = request.build_absolute_uri(certificate.get_verify_url())
    body = certificate_pdf(certificate, verify_url=verify_url)
    response = HttpResponse(body, content_type="application/pdf")
    name = f"ce-certificate-trimester-{certificate.course.number}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: name, program, hours, date and validity; only validity once the holder deleted
    their account. Nothing else about the learner."""
    certificate = Certificate.objects.filter(code=code).first()
    response = render(
        request, "ce/verify.html", {"c": certificate}, status=200 if certificate else 404
    )
    response["X-Robots-Tag"] = "noindex"
    return response
