from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from qa import services


@shared_task
def send_question_digest() -> bool:
    """The instructor's daily digest. Once a day at most, however often beat fires."""
    day = timezone.now().date().isoformat()
    if not cache.add(f"qa-digest-sent:{day}", 1, timeout=60 * 60 * 26):
        return False
    try:
        return services.send_digest()
    except Exception:
        cache.delete(f"qa-digest-sent:{day}")
        raise
