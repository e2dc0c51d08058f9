from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from accounts.models import User
from courses.locks import locked_page
from courses.models import has_course_access, is_program_staff
from lessons import services
from lessons.feeds import PodcastFeed
from lessons.forms import NoteForm, PositionForm
from lessons.models import MATERIALS, Lesson, Note, Progress
from lessons.streaming import serve_file
from lib import drafts
from lib.typed import AuthenticatedHttpRequest

MATERIAL_LABELS = {"chapter": "chapter", "video": "video", "podcast": "podcast episode"}


def get_lesson(request: HttpRequest, course_slug: str, slug: str) -> Lesson:
    return get_object_or_404(
        Lesson.objects.visible_to(request.user)
        .select_related("course")
        .defer(*Lesson.SEARCH_ONLY_FIELDS),
        course__slug=course_slug,
        slug=slug,
    )


def lesson_context(lesson: Lesson, progress: Progress | None, **extra: object) -> dict[str, Any]:
    done = progress.done_count(lesson) if progress else 0
    total = lesson.material_count
    return {
        "lesson": lesson,
        "progress": progress,
        "done_materials": progress.done_materials if progress else [],
        "done_count": done,
        "percent": round(100 * done / total) if total else 0,
        **extra,
    }


def locked_lesson(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    """A lesson that exists but is not open to this person: the page that says why and how to
    get in (its title and course are on the public course page); 404 when there is none."""
    lesson = get_object_or_404(
        Lesson.objects.select_related("course").only(
            "id", "title", "slug", "course__id", "course__number", "course__title", "course__slug"
        ),
        course__slug=course_slug,
        slug=slug,
    )
    return locked_page(request, area="lesson", course=lesson.course, lesson=lesson)


@never_cache
@require_GET
def lesson(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    try:
        lesson = get_lesson(request, course_slug, slug)
    except Http404:
        return locked_lesson(request, course_slug, slug)
    preview = is_program_staff(request.user) and request.GET.get("preview") == "learner"
    progress = None
    if request.user.is_authenticated and not preview:
        progress = services.record_visit(user=request.user, lesson=lesson)
    siblings = list(
        Lesson.objects.filter(course=lesson.course)
        .only("id", "order", "title", "slug")
        .order_by("order", "id")  # within the course: the default ordering joins the course
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == lesson.pk)
    previous_lesson = siblings[index - 1] if index > 0 else None
    next_lesson = siblings[index + 1] if index + 1 < len(siblings) else None
    # Learners without access reach only free previews: show them how to get the rest.
    has_course = has_course_access(request.user, lesson.course_id)
    context = lesson_context(
        lesson,
        progress,
        preview=preview,
        has_course=has_course,
        previous_lesson=previous_lesson,
        next_lesson=next_lesson,
        position=index + 1,
        lesson_total=len(siblings),
        can_record=progress is not None,
        **note_context(request, lesson, preview=preview),
    )
    return render(request, "lessons/lesson.html", context)


def note_context(request: HttpRequest, lesson: Lesson, *, preview: bool) -> dict[str, Any]:
    """The learner's own note form on the lesson page (nobody else's note, ever)."""
    if not request.user.is_authenticated or preview:
        return {}
    note = Note.objects.filter(user=request.user, lesson=lesson).only("text", "updated_at").first()
    return {
        "note": note,
        "note_form": NoteForm(initial={"text": note.text if note else ""}),
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def edit_note(request: AuthenticatedHttpRequest, course_slug: str, slug: str) -> HttpResponse:
    """Save the learner's note on the lesson: as they type (htmx, answered with the saved
    status) or with the form's button (without JavaScript). The text travels only in the
    POST body and is never logged."""
    lesson = get_lesson(request, course_slug, slug)
    htmx = bool(request.headers.get("HX-Request"))
    note = Note.objects.filter(user=request.user, lesson=lesson).first()
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            note = services.save_note(
                user=request.user, lesson=lesson, text=form.cleaned_data["text"]
            )
            if htmx:
                return render(request, "lessons/_note_status.html", {"note": note, "saved": True})
            messages.success(
                request, "Your notes are saved." if note else "Your notes are deleted."
            )
            return drafts.confirm_saved(redirect(f"{lesson.get_absolute_url()}#notes"))
        if htmx:
            return render(request, "lessons/_note_status.html", {"errors": form.errors["text"]})
        status = 400
    else:
        form = NoteForm(initial={"text": note.text if note else ""})
        status = 200
    context = {"lesson": lesson, "note": note, "note_form": form}
    return render(request, "lessons/note.html", context, status=status)


@never_cache
@login_required
@require_POST
def position(request: AuthenticatedHttpRequest, course_slug: str, slug: str) -> HttpResponse:
    """Where the learner stopped the video or podcast (sent every few seconds while it plays,
    on pause and when the page is left): the player starts there on any device."""
    lesson = get_lesson(request, course_slug, slug)
    form = PositionForm(request.POST)
    if not form.is_valid() or not lesson.has_material(form.cleaned_data["material"]):
        return HttpResponse("Send a material (video or podcast) and seconds.", status=400)
    services.save_position(
        user=request.user,
        lesson=lesson,
        material=form.cleaned_data["material"],
        seconds=int(form.cleaned_data["seconds"]),
    )
    return HttpResponse(status=204)


@never_cache
@login_required
@require_POST
def record_progress(request: AuthenticatedHttpRequest, course_slug: str, slug: str) -> HttpResponse:
    lesson = get_lesson(request, course_slug, slug)
    material = request.POST.get("material", "")
    if material not in MATERIALS or not lesson.has_material(material):
        return HttpResponse("Unknown material.", status=400)
    done = request.POST.get("done", "1") != "0"
    progress = services.record_material(
        user=request.user, lesson=lesson, material=material, done=done
    )
    if request.headers.get("HX-Request"):
        context = lesson_context(lesson, progress, material=material, can_record=True, htmx=True)
        return render(request, "lessons/_material_done.html", context)
    label = MATERIAL_LABELS[material]
    messages.success(
        request,
        f"The {label} is marked as done." if done else f"The {label} is marked as not done.",
    )
    return redirect(f"{lesson.get_absolute_url()}#{material}")


@never_cache
@require_http_methods(["GET", "HEAD"])
def lesson_media(
    request: HttpRequest, course_slug: str, slug: str, kind: str
) -> HttpResponse | StreamingHttpResponse:
    """The lesson's uploaded audio, video or captions, for the signed-in page (range-aware)."""
    lesson = get_lesson(request, course_slug, slug)
    field = {
        "audio": lesson.podcast_file,
        "video": lesson.video_file,
        "captions": lesson.video_captions,
    }.get(kind)
    if not field or not field.name:  # a FieldFile is false exactly when it has no name
        raise Http404("No such file.")
    content_type = {"audio": lesson.podcast_mime_type, "video": "video/mp4"}.get(kind, "text/vtt")
    if kind == "video" and field.name.lower().endswith(".webm"):
        content_type = "video/webm"
    # Captions stay on our origin: a <track> from another origin needs CORS.
    return serve_file(request, field, content_type, redirect=kind != "captions")


@never_cache
@require_safe
def podcast_feed(request: HttpRequest, token: str) -> HttpResponse:
    return PodcastFeed(request, token)(request, token=token)


@never_cache
@require_http_methods(["GET", "HEAD"])
def podcast_audio(
    request: HttpRequest, token: str, pk: int
) -> HttpResponse | StreamingHttpResponse:
    """An episode's audio for podcast apps: the feed token stands in for a session."""
    user = User.objects.filter(feed_token=token, is_active=True).first()
    if user is None:
        raise Http404("No such episode.")
    lesson = get_object_or_404(Lesson.objects.in_feed_of(user).exclude(podcast_file=""), pk=pk)
    return serve_file(request, lesson.podcast_file, lesson.podcast_mime_type)


@login_required
@require_GET
def search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The lesson search moved into the site search: its lessons section (lessons/search.py)."""
    query = urlencode({"q": request.GET.get("q", "")[:200], "kind": "lessons"})
    return redirect(f"{reverse('search')}?{query}", permanent=True)


def podcast_feed_url(request: AuthenticatedHttpRequest) -> str:
    return request.build_absolute_uri(
        reverse("lessons:podcast_feed", kwargs={"token": request.user.feed_token})
    )
