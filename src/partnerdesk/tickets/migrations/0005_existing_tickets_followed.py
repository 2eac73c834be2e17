"""Existing tickets are followed as new ones are: by their creator and by everyone who wrote in their thread."""

from django.db import migrations


def follow_existing(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Message = apps.get_model("tickets", "Message")
    TicketFollower = apps.get_model("tickets", "TicketFollower")
    pairs = set(Ticket.objects.filter(created_by__isnull=False).values_list("pk", "created_by_id"))
    pairs |= set(Message.objects.filter(kind="thread", author__isnull=False).values_list("ticket_id", "author_id"))
    TicketFollower.objects.bulk_create(
        [TicketFollower(ticket_id=t, user_id=u) for t, u in sorted(pairs)], batch_size=1000, ignore_conflicts=True
    )


def forget(apps, schema_editor):
    apps.get_model("tickets", "TicketFollower").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_ticketfollower")]

    operations = [migrations.RunPython(follow_existing, forget)]
