"""Admin of the waitlist, offers and financial aid requests."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.models import AuditEvent
from courses import services
from courses.admin.catalog import RunFilter, busy_message
from courses.models import FinancialAidRequest, Offer, WaitlistEntry
from lib.admin_lists import QuickRowsMixin


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(QuickRowsMixin, admin.ModelAdmin[WaitlistEntry]):
    list_per_page = 50  # a page that renders quickly and reads on a phone (bench/run_admin.py)
    list_display = ["name", "email", "course", "cohort", "status", "position", "created_at"]
    list_editable = ["position"]
    list_filter = ["status", "course", RunFilter]
    search_fields = ["name", "email"]
    list_select_related = ["course", "cohort__course"]
    readonly_fields = ["user", "created_at"]
    actions = ["offer_seat_now", "remove_entries"]

    @admin.action(description="Offer a seat now (out of turn)", permissions=["change"])
    def offer_seat_now(self, request: HttpRequest, queryset: QuerySet[WaitlistEntry]) -> None:
        for entry in queryset:
            try:
                offer = services.offer_seat_by_hand(entry_id=entry.pk)
            except services.EnrolmentError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"Offer sent to {offer.email}.", messages.SUCCESS)

    @admin.action(description="Remove from the waitlist", permissions=["change"])
    def remove_entries(self, request: HttpRequest, queryset: QuerySet[WaitlistEntry]) -> None:
        busy: set[int] = set()
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
class OfferAdmin(QuickRowsMixin, admin.ModelAdmin[Offer]):
    list_per_page = 50  # a page that renders quickly and reads on a phone (bench/run_admin.py)
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
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Offer]) -> None:
        done = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                done += services.withdraw_offer(offer_id=pk)
            except services.EnrolmentBusy:
                self.message_user(request, busy_message(f"Offer #{pk}"), messages.ERROR)
        self.message_user(request, f"{done} offer(s) withdrawn.", messages.SUCCESS)


@admin.register(FinancialAidRequest)
class FinancialAidRequestAdmin(QuickRowsMixin, admin.ModelAdmin[FinancialAidRequest]):
    list_per_page = 50  # a page that renders quickly and reads on a phone (bench/run_admin.py)
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

    def _grant(
        self,
        request: HttpRequest,
        queryset: QuerySet[FinancialAidRequest],
        price_cents: int | None,
    ) -> None:
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
    def grant_offer(self, request: HttpRequest, queryset: QuerySet[FinancialAidRequest]) -> None:
        self._grant(request, queryset, None)

    @admin.action(description="Grant a free place (send offer)", permissions=["change"])
    def grant_free_place(
        self, request: HttpRequest, queryset: QuerySet[FinancialAidRequest]
    ) -> None:
        self._grant(request, queryset, 0)
