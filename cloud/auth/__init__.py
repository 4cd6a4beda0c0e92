"""Users and access: roles, argon2 logins with back-off, sessions, API tokens, the audit log."""

from cloud.auth.accounts import (
    API_TOKEN_PREFIX,
    AccountError,
    Accounts,
    LoginLocked,
    LoginRefused,
    Principal,
    Role,
    audit,
    audit_now,
    hash_password,
)
from cloud.auth.models import AlertNote, ApiToken, User, UserScope, WebSession

__all__ = [
    "API_TOKEN_PREFIX",
    "AccountError",
    "Accounts",
    "AlertNote",
    "ApiToken",
    "LoginLocked",
    "LoginRefused",
    "Principal",
    "Role",
    "User",
    "UserScope",
    "WebSession",
    "audit",
    "audit_now",
    "hash_password",
]
