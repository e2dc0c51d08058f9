import csv
from typing import TYPE_CHECKING, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from audit.models import AuditEvent
from courses import services
from courses import tasks as enrolment_tasks
from courses.models import (
    Cohort,
    CohortQuerySet,
    Course,
    Enrollment,
    FaqItem,
    FinancialAidRequest,
    Offer,
    Payment,
    SeatHold,
    StripeEvent,
    Testimonial,
    WaitlistEntry,
)
from lessons.models import Lesson
from outbox.services import queue_task

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from courses.models import SeatCounts

    CohortWithSeats = WithAnnotations[Cohort, SeatCounts]


class LessonInline(admin.TabularInline):
    """The course's lessons in order: change the order here or in the lesson list."""

    model = Lesson
    fields = ["order", "title", "free_preview", "material_count"]
    readonly_fields = ["title", "material_count"]
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def busy_message(what: object) -> str:
    """What an action says of an item another transaction kept locked past the lock timeout
    (services.EnrolmentBusy): nothing changed for it, and it can simply be tried again."""
    return f"{what}: busy with another change, nothing was done. Try again in a minute."


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "slug", "order", "view_on_site_link"]
    prepopulated_fields = {"slug": ["title"]}
    search_fields = ["title", "subtitle"]
    inlines = [LessonInline]

    @admin.display(description="page")
    def view_on_site_link(self, course: Course) -> str:
        return format_html('<a href="{}">Course page</a>', course.get_absolute_url())


class RunFilter(admin.SimpleListFilter):
    """Filter by cohort, listing runs with their course in one query."""

    title = "trimester run"
    parameter_name = "run"

    def lookups(self, request: HttpRequest, model_admin):
        return [(c.pk, str(c)) for c in Cohort.objects.select_related("course")]

    def queryset(self, request: HttpRequest, queryset):
        value = self.value()
        return queryset.filter(cohort_id=value) if value and value.isdigit() else queryset


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "starts_on",
        "status",
        "seat_cap",
        "taken",
        "held",
        "free",
        "waitlist",
        "price_display",
        "enrol_link",
    ]
    list_filter = ["status", "course"]
    search_fields = ["name", "course__title"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "starts_on"
    actions = ["offer_free_seats"]

    def get_queryset(self, request: HttpRequest):
        queryset = cast(CohortQuerySet, super().get_queryset(request))
        return queryset.select_related("course").with_seat_counts()

    @admin.display(description="taken", ordering="seats_taken")
    def taken(self, cohort: "CohortWithSeats") -> int:
        return cohort.seats_taken

    @admin.display(description="held", ordering="seats_held")
    def held(self, cohort: "CohortWithSeats") -> int:
        return cohort.seats_held

    @admin.display(description="free")
    def free(self, cohort: "CohortWithSeats") -> int:
        return max(cohort.seat_cap - cohort.seats_taken - cohort.seats_held, 0)

    @admin.display(description="waitlist", ordering="waitlist_length")
    def waitlist(self, cohort: "CohortWithSeats") -> int:
        return cohort.waitlist_length

    @admin.display(description="")
    def enrol_link(self, cohort: Cohort) -> str:
        url = reverse("admin:courses_enrollment_add") + f"?cohort={cohort.pk}"
        return format_html('<a href="{}">Enrol a person</a>', url)

    def save_model(self, request: HttpRequest, obj: Cohort, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        opened_or_more_seats = {"status", "seat_cap", "enrolment_opens_at", "enrolment_closes_at"}
        if obj.status == Cohort.Status.OPEN and opened_or_more_seats & set(form.changed_data):
            # Opening a run (or adding seats) offers its free seats to the waitlist, in order.
            queue_task(enrolment_tasks.offer_free_seats, cohort_id=obj.pk)

    @admin.action(description="Offer free seats to the waitlist now", permissions=["change"])
    def offer_free_seats(self, request: HttpRequest, queryset) -> None:
        sent = 0
        for cohort in queryset:
            try:
                sent += len(services.offer_free_seats(cohort_id=cohort.pk))
            except services.EnrolmentBusy:
                self.message_user(request, busy_message(cohort), messages.ERROR)
        self.message_user(request, f"{sent} offer(s) sent.", messages.SUCCESS)


class StaffEnrollmentForm(forms.ModelForm):
    """Enrol a person by hand: paid another way (active) or complimentary."""

    status = forms.ChoiceField(
        choices=[
            (Enrollment.Status.ACTIVE, "Active (paid another way)"),
            (Enrollment.Status.COMPED, "Complimentary"),
        ]
    )

    class Meta:
        model = Enrollment
        fields = ["user", "cohort", "status", "amount_paid_cents"]

    def clean(self):
        data = super().clean()
        cohort, user = data.get("cohort"), data.get("user")
        if cohort and user:
            if Enrollment.objects.filter(cohort=cohort, user=user).granting_access().exists():
                raise forms.ValidationError(f"{user.email} is already enrolled in {cohort}.")
            # A seat held by the person's own offer is theirs to take (services.enrol_by_staff).
            own_offer = Offer.objects.filter(cohort=cohort, email__iexact=user.email).holding()
            if cohort.seats_free <= 0 and not own_offer.exists():
                raise forms.ValidationError(f"{cohort} is full. Raise its seat cap first.")
        return data


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "user_email",
        "cohort",
        "status",
        "source",
        "amount",
        "dispute_status",
        "created_at",
    ]
    list_filter = ["status", "source", "dispute_status", "cohort__course", RunFilter]
    search_fields = [
        "user__email",
        "user__display_name",
        "cohort__name",
        "stripe_payment_intent",
    ]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "cohort__course"]
    # Newest first by key (the primary key's index serves it; "-created_at" had none, a sort
    # of every enrolment), and no second count of every enrolment on a filtered page.
    ordering = ["-pk"]
    show_full_result_count = False
    actions = ["cancel_enrolments", "refund_enrolments", "export_csv"]
    readonly_fields = [
        "user",
        "cohort",
        "status",
        "source",
        "amount_paid_cents",
        "currency",
        "stripe_payment_intent",
        "dispute_status",
        "ended_at",
        "created_at",
    ]

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        if obj is None:
            kwargs["form"] = StaffEnrollmentForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.readonly_fields if obj else []

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ["user", "cohort", "status", "amount_paid_cents"]
        return self.readonly_fields

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except services.EnrolmentError as exc:
            # The form's checks passed, then the last seat went to someone else before this
            # one was taken under the run's lock (everything was rolled back). Say so and
            # bring the form back filled in as it was.
            self.message_user(request, str(exc), messages.ERROR)
            typed = {k: request.POST.get(k, "") for k in StaffEnrollmentForm.Meta.fields}
            return HttpResponseRedirect(f"{request.path}?{urlencode(typed)}")

    def save_model(self, request: HttpRequest, obj: Enrollment, form, change: bool) -> None:
        if change:
            return  # status changes go through the actions (cancel, refund)
        enrollment = services.enrol_by_staff(
            cohort_id=obj.cohort_id,
            user=obj.user,
            complimentary=obj.status == Enrollment.Status.COMPED,
            amount_cents=obj.amount_paid_cents,
        )
        obj.pk = enrollment.pk
        obj._state.adding = False
        AuditEvent.record(
            action=AuditEvent.Action.ENROLMENT_CREATED,
            obj=enrollment,
            detail=f"{enrollment.status} in cohort #{enrollment.cohort_id}",
            request=request,
        )

    def delete_model(self, request: HttpRequest, obj: Enrollment) -> None:
        super().delete_model(request, obj)
        queue_task(enrolment_tasks.offer_free_seats, cohort_id=obj.cohort_id)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        # Deleting (for data removal) frees seats like a cancellation: offer them at once.
        cohort_ids = set(queryset.values_list("cohort_id", flat=True))
        super().delete_queryset(request, queryset)
        for cohort_id in cohort_ids:
            queue_task(enrolment_tasks.offer_free_seats, cohort_id=cohort_id)

    @admin.display(description="email", ordering="user__email")
    def user_email(self, enrollment: Enrollment) -> str:
        return enrollment.user.email

    @admin.display(description="paid", ordering="amount_paid_cents")
    def amount(self, enrollment: Enrollment) -> str:
        return services.money(enrollment.amount_paid_cents, enrollment.currency)

    @admin.action(description="Cancel: end access now (no refund)", permissions=["change"])
    def cancel_enrolments(self, request: HttpRequest, queryset) -> None:
        ended = 0
        for pk, status in queryset.values_list("pk", "status"):
            try:
                cancelled = services.end_access(
                    enrollment_id=pk, status=Enrollment.Status.CANCELLED
                )
            except services.EnrolmentBusy:
                self.message_user(request, busy_message(f"Enrolment #{pk}"), messages.ERROR)
                continue
            if cancelled:
                ended += 1
                AuditEvent.record(
                    action=AuditEvent.Action.ENROLMENT_CANCELLED,
                    obj=Enrollment(pk=pk),
                    detail=f"{status} → cancelled",
                    request=request,
                )
        self.message_user(request, f"{ended} enrolment(s) cancelled.", messages.SUCCESS)

    @admin.action(description="Refund through Stripe and end access", permissions=["change"])
    def refund_enrolments(self, request: HttpRequest, queryset) -> None:
        for pk in queryset.values_list("pk", flat=True):
            try:
                services.refund_enrollment(enrollment_id=pk)
            except services.EnrolmentError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                AuditEvent.record(
                    action=AuditEvent.Action.ENROLMENT_REFUNDED,
                    obj=Enrollment(pk=pk),
                    detail="refunded through Stripe",
                    request=request,
                )
                self.message_user(request, f"Enrolment #{pk} refunded.", messages.SUCCESS)

    @admin.action(description="Export as CSV", permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset) -> HttpResponse:
        AuditEvent.record(
            action=AuditEvent.Action.EXPORT,
            detail=f"{queryset.count()} enrolments as CSV",
            request=request,
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="enrolments.csv"'
        writer = csv.writer(response)
        writer.writerow(
            ["email", "name", "course", "cohort", "status", "source", "paid", "currency", "since"]
        )
        for e in queryset.select_related("user", "cohort__course"):
            writer.writerow(
                [
                    e.user.email,
                    e.user.display_name,
                    e.cohort.course.title,
                    e.cohort.name,
                    e.status,
                    e.source,
                    f"{e.amount_paid_cents / 100:.2f}",
                    e.currency,
                    e.created_at.date().isoformat(),
                ]
            )
        return response


@admin.register(FaqItem)
class FaqItemAdmin(admin.ModelAdmin):
    list_display = ["question", "order", "published"]
    list_editable = ["order", "published"]


@admin.register(Testimonial)
class TestimonialAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "order", "published"]
    list_editable = ["order", "published"]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "course", "cohort", "status", "position", "created_at"]
    list_editable = ["position"]
    list_filter = ["status", "course", RunFilter]
    search_fields = ["name", "email"]
    list_select_related = ["course", "cohort__course"]
    readonly_fields = ["user", "created_at"]
    actions = ["offer_seat_now", "remove_entries"]

    @admin.action(description="Offer a seat now (out of turn)", permissions=["change"])
    def offer_seat_now(self, request: HttpRequest, queryset) -> None:
        for entry in queryset:
            try:
                offer = services.offer_seat_by_hand(entry_id=entry.pk)
            except services.EnrolmentError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"Offer sent to {offer.email}.", messages.SUCCESS)

    @admin.action(description="Remove from the waitlist", permissions=["change"])
    def remove_entries(self, request: HttpRequest, queryset) -> None:
        busy = set()
        for entry in queryset:
            for offer_id in entry.offers.filter(status=Offer.Status.PENDING).values_list(
                "pk", flat=True
            ):
                try:
                    services.withdraw_offer(offer_id=offer_id)
                except services.EnrolmentBusy:
                    busy.add(entry.pk)
                    self.message_user(request, busy_message(entry), messages.ERROR)
        removed = queryset.exclude(pk__in=busy).update(status=WaitlistEntry.Status.REMOVED)
        self.message_user(request, f"{removed} entr(y/ies) removed.", messages.SUCCESS)


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "cohort", "price", "status", "expires_at", "created_at"]
    list_filter = ["status", "cohort__course", RunFilter]
    search_fields = ["name", "email"]
    list_select_related = ["cohort__course"]
    readonly_fields = [
        "cohort",
        "waitlist_entry",
        "aid_request",
        "name",
        "email",
        "personal_link",
        "price_cents",
        "currency",
        "status",
        "expires_at",
        "accepted_by",
        "accepted_at",
        "created_at",
    ]
    # The stubs type `fields` and `readonly_fields` as different invariant lists.
    fields = readonly_fields  # type: ignore[assignment]
    actions = ["withdraw"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # offers come from the waitlist and aid actions

    @admin.display(description="price")
    def price(self, offer: Offer) -> str:
        return offer.price_display

    @admin.display(description="personal link (send only to this person)")
    def personal_link(self, offer: Offer) -> str:
        return services.site_link(offer.get_absolute_url())

    @admin.action(
        description="Withdraw (the seat goes to the next person; this one leaves that run's list)",
        permissions=["change"],
    )
    def withdraw(self, request: HttpRequest, queryset) -> None:
        done = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                done += services.withdraw_offer(offer_id=pk)
            except services.EnrolmentBusy:
                self.message_user(request, busy_message(f"Offer #{pk}"), messages.ERROR)
        self.message_user(request, f"{done} offer(s) withdrawn.", messages.SUCCESS)


@admin.register(FinancialAidRequest)
class FinancialAidRequestAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "email",
        "course",
        "cohort",
        "status",
        "granted_price_cents",
        "created_at",
    ]
    list_filter = ["status", "course"]
    search_fields = ["name", "email"]
    list_select_related = ["course", "cohort__course"]
    fields = [
        "course",
        "name",
        "email",
        "can_pay",
        "message",
        "cohort",
        "granted_price_cents",
        "status",
        "offer_links",
        "created_at",
    ]
    readonly_fields = ["course", "name", "email", "can_pay", "message", "offer_links", "created_at"]
    actions = ["grant_offer", "grant_free_place"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="offers")
    def offer_links(self, aid: FinancialAidRequest) -> str:
        offers = [
            f"{services.site_link(o.get_absolute_url())} ({o.get_status_display()})"
            for o in aid.offers.all()
        ]
        return "; ".join(offers) or "—"

    def _grant(self, request: HttpRequest, queryset, price_cents: int | None) -> None:
        for aid in queryset:
            try:
                offer = services.grant_aid(aid_id=aid.pk, price_cents=price_cents)
            except services.EnrolmentError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                AuditEvent.record(
                    action=AuditEvent.Action.AID_GRANTED,
                    obj=aid,
                    detail=f"offer #{offer.pk} at {offer.price_display}",
                    request=request,
                )
                self.message_user(
                    request,
                    f"Offer at {offer.price_display} sent to {offer.email}.",
                    messages.SUCCESS,
                )

    @admin.action(
        description="Grant at the price set on the request (send offer)", permissions=["change"]
    )
    def grant_offer(self, request: HttpRequest, queryset) -> None:
        self._grant(request, queryset, None)

    @admin.action(description="Grant a free place (send offer)", permissions=["change"])
    def grant_free_place(self, request: HttpRequest, queryset) -> None:
        self._grant(request, queryset, 0)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SeatHold)
class SeatHoldAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "user", "state", "amount", "expires_at", "created_at"]
    list_filter = ["state", RunFilter]
    search_fields = ["user__email", "stripe_session_id", "stripe_payment_intent"]
    list_select_related = ["user", "cohort__course"]

    @admin.display(description="amount")
    def amount(self, hold: SeatHold) -> str:
        return services.money(hold.amount_cents, hold.currency)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = [
        "received_at",
        "type",
        "outcome",
        "source",
        "detail",
        "enrollment",
        "event_id",
    ]
    list_filter = ["source", "outcome", "type", "livemode"]
    search_fields = ["event_id", "object_id", "payment_intent"]
    list_select_related = ["enrollment__user", "enrollment__cohort__course"]
    date_hierarchy = "received_at"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """What Stripe told us about each payment; every event about one is handled under its lock."""

    list_display = ["payment_intent", "hold", "refunded", "dispute_status", "created_at"]
    list_filter = ["refunded", "dispute_status"]
    search_fields = ["payment_intent"]
    list_select_related = ["hold__cohort__course"]
