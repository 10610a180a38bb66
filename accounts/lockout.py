"""Failed sign-ins counted per email, whether or not the email belongs to a user, so that a locked
account and an unknown email look the same from outside."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5  # within window_s, then locked for lock_s
    window_s: int = 15 * 60
    lock_s: int = 15 * 60


def is_locked(cur, email: str) -> bool:
    cur.execute("select locked_until > now() from ops.login_failures where email = lower(%s)", (email.strip(),))
    row = cur.fetchone()
    return bool(row and row[0])


def record_failure(cur, email: str, policy: LockoutPolicy) -> bool:
    """Count one failure (a new window when the last one is over); True when the email is now locked."""
    cur.execute(
        """
        insert into ops.login_failures as f (email, failures, first_failed_at) values (lower(%(email)s), 1, now())
        on conflict (email) do update set
            failures = case when f.first_failed_at < now() - make_interval(secs => %(window)s) then 1
                            else f.failures + 1 end,
            first_failed_at = case when f.first_failed_at < now() - make_interval(secs => %(window)s) then now()
                                   else f.first_failed_at end
        returning failures
        """,
        {"email": email.strip(), "window": policy.window_s},
    )
    failures = cur.fetchone()[0]
    if failures >= policy.max_failures:
        cur.execute("update ops.login_failures set locked_until = now() + make_interval(secs => %s),"
                    " failures = 0, first_failed_at = now() where email = lower(%s)", (policy.lock_s, email.strip()))
        return True
    return False


def clear(cur, email: str) -> None:
    cur.execute("delete from ops.login_failures where email = lower(%s)", (email.strip(),))
