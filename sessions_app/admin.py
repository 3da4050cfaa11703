from django.contrib import admin

from .models import Guest, Presentation, Reaction


@admin.register(Presentation)
class PresentationAdmin(admin.ModelAdmin):
    list_display = ["meeting", "registration_open", "capacity", "reactions_open", "guests_purged_at"]


@admin.register(Guest)
class GuestAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "status", "is_party_member", "registered_at", "attended"]
    list_filter = ["status", "is_party_member", "attended"]
    search_fields = ["name", "email", "organisation"]
    # Places are given under a row lock by the services: never by hand here.
    readonly_fields = ["status", "key", "confirmed_at", "waiting_since", "cancelled_at"]


@admin.register(Reaction)
class ReactionAdmin(admin.ModelAdmin):
    list_display = ["recommendation", "respondent", "stance", "created_at", "taken_on_at"]
    list_filter = ["respondent", "stance"]
    raw_id_fields = ["recommendation", "guest", "user", "taken_on_by"]
