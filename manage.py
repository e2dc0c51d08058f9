#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from lib.database import use_task_timeouts

    # Commands (migrations above all) get the longer timeouts of background work, not a page's.
    use_task_timeouts()
    execute_from_command_line(sys.argv)
