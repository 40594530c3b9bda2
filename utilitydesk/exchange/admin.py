"""The exchange's records, read-only: what the platform sent and what we owe it are facts
the services keep; nobody edits them by hand (a message is sent again from the page)."""

from django.contrib import admin

from utilitydesk.privacy.access import Action, record_access

from .models import Inbound, Order, Outbound


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OutboundInline(admin.TabularInline):
    model = Outbound
    fields = ("kind", "state", "attempts", "next_attempt_at", "sent_at", "last_error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ReadOnly):
    list_display = ("order_no", "kind", "state", "case", "unit", "transferred_at", "urge_count")
    list_filter = ("state", "kind", "verdict", "opened_case")
    search_fields = ("order_no",)
    date_hierarchy = "transferred_at"
    list_select_related = ("case", "unit")
    inlines = [OutboundInline]

    def get_object(self, request, object_id, from_field=None):
        order = super().get_object(request, object_id, from_field)
        if order is not None:
            # The caller's name and number are on the page.
            record_access(
                request.user,
                Action.VIEW,
                [order.case.customer_id],
                request=request,
                detail={"exchange_order": order.order_no},
            )
        return order


@admin.register(Outbound)
class OutboundAdmin(ReadOnly):
    list_display = ("order", "kind", "state", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("order__order_no", "message_id")
    list_select_related = ("order",)


@admin.register(Inbound)
class InboundAdmin(ReadOnly):
    list_display = ("event_id", "order", "kind", "received_at")
    list_filter = ("kind",)
    search_fields = ("order__order_no", "event_id")
    date_hierarchy = "received_at"
    list_select_related = ("order",)
