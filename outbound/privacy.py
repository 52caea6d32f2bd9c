"""Who sees a customer's phone number: masked (139****5678) in every listing and export; the
full number for an agent on their own item and for the roles granted it, each such view
written to the audit log."""

from __future__ import annotations


def mask(phone: str | None) -> str:
    """PHONE as a listing shows it: the first three and last four digits of the national
    number (+8613912345678 → 139****5678); a short number is all stars."""
    if not phone:
        return ""
    national = phone.removeprefix("+86")
    if len(national) <= 7:
        return "*" * len(national)
    return national[:3] + "*" * (len(national) - 7) + national[-4:]
