"""What a person may do to an alarm, and the audit of it, apart from how they asked.

The rules live here once, for every way in (the API today, the duty workflows and the
operator page later): who may shelve a priority-1 alarm, how long each role may shelve for,
that a one-shot shelve ends at the role's cap too. Each action is audited when done and each
refusal is audited (rate-limited per address) before `Refused` is raised.

Runs on the thread that owns the alarm engine (the runtime hands calls over to it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from station.actor_audit import ActorAudit
from station.alarms.engine import AlarmEngine
from station.alarms.lifecycle import NotAllowed
from station.audit import AuditTrail
from station.refusals import RefusalLog, Refused
from station.users import Role, User


@dataclass
class Outcome:
    done: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


class AlarmActions:
    def __init__(
        self,
        engine: AlarmEngine,
        audit: AuditTrail,
        refusals: RefusalLog,
        shelve_max_s: Mapping[Any, float],
        now_ms: Callable[[], int],
    ) -> None:
        self.engine = engine
        self.audit = audit
        self.refusals = refusals
        self.shelve_max_s = shelve_max_s
        self.now_ms = now_ms
        self.log = ActorAudit(audit, refusals, now_ms)

    def _known(self, user: User, action: str, alarm: str, address: str | None) -> None:
        if alarm not in self.engine.points:
            raise self.log.refuse(
                user, action, alarm, address, "unknown", f"unknown alarm {alarm!r}"
            )

    def _do(
        self,
        user: User,
        action: str,
        alarm: str,
        address: str | None,
        change: Callable[[], Any],
        **audit: Any,
    ) -> Outcome:
        self._known(user, action, alarm, address)
        try:
            change()
        except NotAllowed as exc:
            raise self.log.refuse(user, action, alarm, address, "conflict", str(exc)) from None
        self.log.ok(user, action, alarm, address, **audit)
        return Outcome(done=[alarm])

    # -- actions -----------------------------------------------------------------------
    def ack(self, user: User, ids: list[str], comment: str | None, address: str | None) -> Outcome:
        """Each alarm on its own: the known ones are acknowledged even if others are not."""
        out = Outcome()
        for alarm in dict.fromkeys(ids):
            try:
                self.engine.ack(alarm, user.username, comment, self.now_ms())
            except KeyError:
                out.refused[alarm] = "unknown alarm"
                continue
            except NotAllowed as exc:
                out.refused[alarm] = str(exc)
                continue
            out.done.append(alarm)
            self.log.ok(user, "alarm.ack", alarm, address, reason=comment)
        if not out.done and out.refused:
            unknown = all(v == "unknown alarm" for v in out.refused.values())
            self.refusals.record(
                self.now_ms(),
                user.username,
                "alarm.ack",
                "; ".join(f"{k}: {v}" for k, v in out.refused.items()),
                role=user.role.name,
                address=address,
            )
            raise Refused("unknown" if unknown else "conflict", out.refused)
        return out

    def shelve_cap_s(self, role: Role) -> float:
        return float(self.shelve_max_s.get(role.name, 0))

    def shelve(
        self,
        user: User,
        alarm: str,
        reason: str,
        duration_s: float | None,
        address: str | None,
    ) -> Outcome:
        """`duration_s` None: one-shot, until the alarm next clears or the role's cap,
        whichever comes first."""
        action = "alarm.shelve"
        self._known(user, action, alarm, address)
        if self.engine.points[alarm].priority == 1 and user.role < Role.shift_leader:
            why = "priority 1 alarms are shelved by a shift leader or above"
            raise self.log.refuse(user, action, alarm, address, "forbidden", why)
        cap = self.shelve_cap_s(user.role)
        if duration_s is not None and duration_s > cap:
            why = f"{user.role.name} may shelve for at most {cap:g} s"
            raise self.log.refuse(user, action, alarm, address, "forbidden", why)
        now = self.now_ms()
        oneshot = duration_s is None
        until = now + int((cap if duration_s is None else duration_s) * 1000)
        return self._do(
            user,
            action,
            alarm,
            address,
            lambda: self.engine.shelve(alarm, user.username, reason, until, now, oneshot),
            reason=reason,
            new={"until": until, "oneshot": oneshot},
        )

    def unshelve(self, user: User, alarm: str, address: str | None) -> Outcome:
        return self._do(
            user,
            "alarm.unshelve",
            alarm,
            address,
            lambda: self.engine.unshelve(alarm, user.username, self.now_ms()),
        )

    def reset(self, user: User, alarm: str, comment: str | None, address: str | None) -> Outcome:
        return self._do(
            user,
            "alarm.reset",
            alarm,
            address,
            lambda: self.engine.reset(alarm, user.username, comment, self.now_ms()),
            reason=comment,
        )

    def out_of_service(
        self, user: User, alarm: str, enabled: bool, reason: str, address: str | None
    ) -> Outcome:
        return self._do(
            user,
            "alarm.out_of_service" if enabled else "alarm.return_to_service",
            alarm,
            address,
            lambda: self.engine.out_of_service(
                alarm, enabled, user.username, reason, self.now_ms()
            ),
            reason=reason,
            old=not enabled,
            new=enabled,
        )

    def change_rule(
        self,
        user: User,
        alarm: str,
        changes: dict[str, float],
        reason: str,
        address: str | None,
    ) -> Outcome:
        """Management of change: takes effect at once, survives restarts, old → new audited."""
        action = "alarm.rule_change"
        self._known(user, action, alarm, address)
        try:
            old, new = self.engine.change_rule(alarm, changes, user.username, reason, self.now_ms())
        except (NotAllowed, ValueError) as exc:
            raise self.log.refuse(user, action, alarm, address, "conflict", str(exc)) from None
        self.log.ok(user, action, alarm, address, old=old, new=new, reason=reason)
        return Outcome(done=[alarm])
