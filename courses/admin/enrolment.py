"""Admin of enrolments (staff enrol, refund and end access here) and the read-only records
of seat holds, Stripe events and payments."""

import csv
from typing import Any, TypeVar
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from audit.models import AuditEvent
from courses import services
from courses import tasks as enrolment_tasks
from courses.admin.catalog import RunFilter, busy_message
from courses.models import Enrollment, Offer, Payment, SeatHold, StripeEvent
from lib.admin_lists import QuickRowsMixin
from outbox.services import queue_task


class StaffEnrollmentForm(forms.ModelForm[Enrollment]):
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

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean returns
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
class EnrollmentAdmin(QuickRowsMixin, admin.ModelAdmin[Enrollment]):
    list_per_page = 50  # a page that renders quickly and reads on a phone (bench/run_admin.py)
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

    def get_form(
        self,
        request: HttpRequest,
        obj: Enrollment | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm[Enrollment]]:
        if obj is None:
            kwargs["form"] = StaffEnrollmentForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Enrollment | None = None
    ) -> list[str] | tuple[str, ...]:
        return self.readonly_fields if obj else []

    def get_fields(
        self, request: HttpRequest, obj: Enrollment | None = None
    ) -> list[str | list[str] | tuple[str, ...] | tuple[()]]:
        if obj is None:
            return ["user", "cohort", "status", "amount_paid_cents"]
        return list(self.readonly_fields)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().add_view(request, form_url, extra_context)
        except services.EnrolmentError as exc:
            # The form's checks passed, then the last seat went to someone else before this
            # one was taken under the run's lock (everything was rolled back). Say so and
            # bring the form back filled in as it was.
            self.message_user(request, str(exc), messages.ERROR)
            typed = {k: request.POST.get(k, "") for k in StaffEnrollmentForm.Meta.fields}
            return HttpResponseRedirect(f"{request.path}?{urlencode(typed)}")

    def save_model(
        self,
        request: HttpRequest,
        obj: Enrollment,
        form: forms.ModelForm[Enrollment],
        change: bool,
    ) -> None:
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

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
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
    def cancel_enrolments(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
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
    def refund_enrolments(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
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
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> HttpResponse:
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


_M = TypeVar("_M", bound=Model)


class ReadOnlyAdmin(admin.ModelAdmin[_M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False


@admin.register(SeatHold)
class SeatHoldAdmin(ReadOnlyAdmin[SeatHold]):
    list_display = ["__str__", "user", "state", "amount", "expires_at", "created_at"]
    list_filter = ["state", RunFilter]
    search_fields = ["user__email", "stripe_session_id", "stripe_payment_intent"]
    list_select_related = ["user", "cohort__course"]

    @admin.display(description="amount")
    def amount(self, hold: SeatHold) -> str:
        return services.money(hold.amount_cents, hold.currency)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin[StripeEvent]):
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
class PaymentAdmin(ReadOnlyAdmin[Payment]):
    """What Stripe told us about each payment; every event about one is handled under its lock."""

    list_display = ["payment_intent", "hold", "refunded", "dispute_status", "created_at"]
    list_filter = ["refunded", "dispute_status"]
    search_fields = ["payment_intent"]
    list_select_related = ["hold__cohort__course"]
