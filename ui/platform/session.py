"""Login form, cookie re-login and per-run session checks (docs/design.md §5).

streamlit-authenticator 0.4.2 draws the form and writes the cookie; the decisions
(lockout, revocation, idle and absolute timeouts, audit) are taken by
services.accounts.auth against the database. Its own `max_login_attempts` is not used: it
never fires with credentials rebuilt each run.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

import jwt
import streamlit as st
import streamlit_authenticator as stauth

import clock
from i18n import N_, _
from models.types import utcnow
from services.accounts import auth, enrolment, sso
from services.accounts.passwords import MIN_LENGTH
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from ui.platform import form_state, links, widgets
from ui.platform.runtime import Runtime
from ui.platform.text import md

# Labels of the library's form (its keys are its own): French ids, translated where drawn.
LOGIN_FIELDS = {
    "Form name": N_("Connexion"),
    "Username": N_("Identifiant"),
    "Password": N_("Mot de passe"),
    "Login": N_("Se connecter"),
}

# Session-state keys owned by this module (the library owns authentication_status,
# username, name, logout).
STARTED_AT = "parcours_session_started_at"
LAST_ACTIVITY = "parcours_session_last_activity"
LOGIN_MESSAGE = "parcours_login_message"
COOKIE_DELETES_LEFT = "parcours_cookie_deletes_left"
MAX_COOKIE_DELETES = 3  # deletions, in the runs that follow a logout, until the browser has none
ENDED_MESSAGE = "parcours_session_ended"
COOKIE_WRITES_LEFT = "parcours_cookie_writes_left"
MAX_COOKIE_WRITES = 3  # extra writes, in the runs that follow the login
ENROLLED = "parcours_enrolled_username"  # the holder has just set their password with a code
ENROLMENT_FORM = "first_sign_in"
SSO_SESSION = "parcours_sso_session"  # this session was opened through the identity provider
SSO_CHECKED = "parcours_sso_checked"  # (identity, result) already decided in this session: audited once
SSO_LINK_FORM = "sso_link"


def _cookie_expiry_days(runtime: Runtime) -> float:
    return runtime.settings.session_max_hours / 24


def _authenticator(runtime: Runtime, *, signed_in: bool) -> stauth.Authenticate:
    """Built on every run so its cookie component stays mounted (a component mounted only on
    the logout run re-runs the script before the cookie deletion reaches the browser). The
    users table is read only while signed out, when the login form needs it."""
    if signed_in:
        credentials: dict = {"usernames": {}}
    else:
        with unit_of_work(runtime.engine) as session:
            credentials = auth.credentials_for_authenticator(session)
    authenticator = stauth.Authenticate(
        credentials,
        cookie_name=runtime.settings.cookie_name,
        cookie_key=runtime.settings.cookie_key,
        cookie_expiry_days=_cookie_expiry_days(runtime),
        auto_hash=False,
        login_sleep_time=runtime.settings.login_sleep_time,
    )

    def check_credentials(username: str, password: str) -> bool:
        # Replaces the library's check so that lockout, audit and the answer to an
        # unknown username are ours (one place: services.accounts.auth.authenticate).
        with unit_of_work(runtime.engine) as session:
            result = auth.authenticate(session, runtime.settings, username, password)
        st.session_state.pop(ENDED_MESSAGE, None)  # a new attempt: "session ended" is old news
        st.session_state.pop(ENROLLED, None)
        if result.outcome == auth.LoginOutcome.SUCCESS:
            st.session_state[STARTED_AT] = utcnow()
            st.session_state[COOKIE_WRITES_LEFT] = MAX_COOKIE_WRITES
            st.session_state[COOKIE_DELETES_LEFT] = 0  # a new login: its cookie must stay
            st.session_state.pop(LOGIN_MESSAGE, None)
            return True
        st.session_state[LOGIN_MESSAGE] = auth.LOGIN_MESSAGES[result.outcome]
        return False

    authenticator.authentication_controller.authentication_model.check_credentials = check_credentials
    _harden_cookie(authenticator, secure=not runtime.settings.is_demo)
    return authenticator


def _cookie_manager(authenticator: stauth.Authenticate):
    """The library's cookie component (extra-streamlit-components), which writes cookies from the browser."""
    return authenticator.cookie_controller.cookie_model.cookie_manager


def _harden_cookie(authenticator: stauth.Authenticate, *, secure: bool) -> None:
    """The login cookie is sent to this site only (SameSite=Strict) and, in production, over HTTPS only
    (Secure). The library writes it from the browser (a JavaScript component), so it cannot be HttpOnly:
    what compensates is server-side (a cookie is checked against the account on every run, revoked at
    logout and password change, and expires with the idle and absolute session limits)."""
    manager = _cookie_manager(authenticator)
    manager.set = functools.partial(manager.set, secure=secure or None, same_site="strict")


def _screen_cookie(runtime: Runtime) -> None:
    """Before the library trusts its cookie, ask the server whether it is still valid."""
    token = st.context.cookies.get(runtime.settings.cookie_name)
    if not token or st.session_state.get("logout"):
        return
    try:
        payload = jwt.decode(token, runtime.settings.cookie_key, algorithms=["HS256"])
        expires_at = datetime.fromtimestamp(float(payload["exp_date"]), UTC)
        # The library stamped it with the real clock; the server compares it on the app's clock.
        issued_at = clock.from_wall(expires_at - timedelta(days=_cookie_expiry_days(runtime)))
        username = str(payload["username"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        st.session_state["logout"] = True  # makes the library ignore the cookie
        return
    with unit_of_work(runtime.engine) as session:
        principal = auth.resume_from_cookie(session, runtime.settings, username, issued_at)
    if principal is None:
        st.session_state["logout"] = True
        st.session_state[COOKIE_DELETES_LEFT] = MAX_COOKIE_DELETES
    else:
        st.session_state[STARTED_AT] = issued_at


def end_session(message: str | None) -> None:
    """`message`: the French id of the text shown on the login page (marked N_), translated when shown."""
    for key in ("authentication_status", "username", "name", "email", "roles"):
        st.session_state[key] = None
    for key in (STARTED_AT, LAST_ACTIVITY, COOKIE_WRITES_LEFT, SSO_SESSION, SSO_CHECKED):
        st.session_state.pop(key, None)
    st.session_state["logout"] = True
    st.session_state[COOKIE_DELETES_LEFT] = MAX_COOKIE_DELETES
    if message:
        st.session_state[ENDED_MESSAGE] = message


def login_column():
    """The centred column the login page is drawn in (a full-width form reads badly)."""
    return st.columns([1, 2, 1])[1]


def first_sign_in(runtime: Runtime) -> None:
    """Under the login form: the holder of an account sets its password with the code the administration
    gave them (first sign-in, re-enabled or reset account), then signs in above with it."""
    form_state.show_toast()
    enrolled = st.session_state.get(ENROLLED)
    if enrolled:
        st.success(
            _("Mot de passe enregistré pour « {username} » : connectez-vous ci-dessus avec ce mot de passe.").format(
                username=md(enrolled)
            ),
            icon=":material/check:",
        )
    key = form_state.key(ENROLMENT_FORM)
    errors = form_state.errors(ENROLMENT_FORM)
    with st.expander(_("Première connexion ou code reçu"), icon=":material/key:", expanded=bool(errors)):
        st.caption(
            _(
                "Vous avez reçu un code de l'administration : choisissez ici votre mot de passe "
                "({count} caractères au moins, une phrase de quelques mots par exemple). Le code ne sert qu'une fois."
            ).format(count=MIN_LENGTH)
        )
        with widgets.form(key):
            form_state.form_error(ENROLMENT_FORM)
            data = {"username": st.text_input(_("Votre identifiant"), autocomplete="username", key=f"{key}_username")}
            form_state.field_error(errors, "username")
            data["code"] = st.text_input(_("Code reçu"), autocomplete="one-time-code", key=f"{key}_code")
            form_state.field_error(errors, "code")
            data["new"] = st.text_input(
                _("Nouveau mot de passe"), type="password", autocomplete="new-password", key=f"{key}_new"
            )
            form_state.field_error(errors, "new")
            data["confirmation"] = st.text_input(
                _("Nouveau mot de passe (confirmation)"),
                type="password",
                autocomplete="new-password",
                key=f"{key}_confirmation",
            )
            form_state.field_error(errors, "confirmation")
            submitted = st.form_submit_button(_("Enregistrer mon mot de passe"))
    if submitted:

        def set_password() -> None:
            with unit_of_work(runtime.engine) as session:
                username = enrolment.set_password_with_code(session, runtime.settings, data=data)
            st.session_state[ENROLLED] = username

        form_state.submit(ENROLMENT_FORM, set_password, _("Mot de passe enregistré."))


def request_logout(runtime: Runtime, username: str) -> None:
    """Button callback: revoke every session of the user server-side, then forget this one."""
    with unit_of_work(runtime.engine) as session:
        auth.logout(session, username)
    through_provider = bool(st.session_state.get(SSO_SESSION))
    end_session(N_("Vous êtes déconnecté·e."))
    if through_provider:
        st.logout()  # the provider's cookie too (and the provider's own session, when it offers to end it)


def sso_configured() -> bool:
    """Single sign-on is offered when .streamlit/secrets.toml has an [auth] section (st.login's own)."""
    return st.secrets.load_if_toml_exists() and "auth" in st.secrets


def _provider_identity() -> tuple[str, str, datetime] | None:
    """(issuer, subject, sign-in time on the app's clock) of this browser's provider sign-in, or None.
    (Page tests replace this function: AppTest has no provider.)"""
    if not sso_configured() or not st.user.is_logged_in:
        return None
    issuer, subject, issued_at = st.user.get("iss"), st.user.get("sub"), st.user.get("iat")
    if not (issuer and subject and issued_at):
        return None
    # The provider stamped it with the real clock; the server compares it on the app's clock.
    return str(issuer), str(subject), clock.from_wall(datetime.fromtimestamp(float(issued_at), UTC))


def _sso_sign_in(runtime: Runtime) -> sso.SsoResult | None:
    """Open the Parcours account linked to the provider identity of this browser, if any (decided once per
    identity and session). None when no one is signed in at the provider."""
    identity = _provider_identity()
    if identity is None:
        return None
    checked = st.session_state.get(SSO_CHECKED)
    if checked is not None and checked[0] == identity:
        return checked[1]
    issuer, subject, signed_in_at = identity
    with unit_of_work(runtime.engine) as session:
        result = sso.sign_in_with_identity(
            session, runtime.settings, issuer=issuer, subject=subject, signed_in_at=signed_in_at
        )
    st.session_state[SSO_CHECKED] = (identity, result)
    if result.outcome == sso.SsoOutcome.SIGNED_IN:
        state = st.session_state
        state["authentication_status"] = True
        state["username"] = result.principal.username
        state["name"] = result.principal.display_name
        state[STARTED_AT] = signed_in_at
        state[SSO_SESSION] = True
        state.pop(ENDED_MESSAGE, None)
        state.pop(LOGIN_MESSAGE, None)
    elif result.outcome == sso.SsoOutcome.ENDED:
        st.session_state[ENDED_MESSAGE] = auth.SESSION_END_MESSAGES[result.ended]
    return result


def _sso_panel(runtime: Runtime, result: sso.SsoResult | None) -> None:
    """Under the login form when single sign-on is offered: its button, or, for an identity that opens no
    account, the form that links it with the code the administration handed over."""
    if not sso_configured():
        return
    st.divider()
    if result is None or result.outcome == sso.SsoOutcome.ENDED:
        if st.button(_("Se connecter avec l'authentification unique"), icon=":material/badge:", key="sso_login"):
            st.login()
        return
    issuer, subject, _signed_in_at = _provider_identity()
    who = st.user.get("email") or subject
    st.warning(
        _("L'identité « {who} » n'ouvre aucun compte Parcours.").format(who=md(who)), icon=":material/person_off:"
    )
    st.caption(
        _(
            "Si l'administration vous a remis un code pour votre compte, liez-y cette identité : vous vous "
            "connecterez ensuite par l'authentification unique. Sinon, adressez-vous à l'administration."
        )
    )
    key, errors = form_state.key(SSO_LINK_FORM), form_state.errors(SSO_LINK_FORM)
    with widgets.form(key):
        form_state.form_error(SSO_LINK_FORM)
        data = {"username": st.text_input(_("Votre identifiant"), autocomplete="username", key=f"{key}_username")}
        form_state.field_error(errors, "username")
        data["code"] = st.text_input(_("Code reçu"), autocomplete="one-time-code", key=f"{key}_code")
        form_state.field_error(errors, "code")
        submitted = st.form_submit_button(_("Lier cette identité à mon compte"))
    if st.button(_("Se déconnecter de l'authentification unique"), icon=":material/logout:", key="sso_logout"):
        st.logout()
    if submitted:

        def link() -> None:
            with unit_of_work(runtime.engine) as session:
                sso.link_identity(session, runtime.settings, issuer=issuer, subject=subject, data=data)
            st.session_state.pop(SSO_CHECKED, None)  # decide again: the identity now opens the account

        form_state.submit(SSO_LINK_FORM, link, _("Identité liée à votre compte."))


def signed_in_principal(runtime: Runtime) -> Principal | None:
    """Draw the login form if needed; return the principal of a valid session, else None."""
    state = st.session_state
    was_signed_in = bool(state.get("authentication_status"))
    # The cookie components come and go (write, delete): kept in one slot so that the page
    # below never shifts, which would remount its widgets (an open tab would jump back).
    cookie_slot = st.container()
    with cookie_slot:
        authenticator = _authenticator(runtime, signed_in=was_signed_in)
    if not state.get("authentication_status"):
        _screen_cookie(runtime)
        with cookie_slot:
            _delete_cookie(runtime, authenticator)
        provider = _sso_sign_in(runtime)
        if sso_configured() and not state.get("authentication_status"):
            with cookie_slot:
                links.keep_link_across_sign_on(_cookie_manager(authenticator))
    if not state.get("authentication_status"):
        with login_column():
            # Kept until the next login attempt (popped in check_credentials): the cookie
            # component reruns the script about a second after a logout, which would wipe it.
            ended_slot = st.empty()
            # Never st.rerun() right after this call: the cookie would not be written.
            fields = {name: _(text) for name, text in LOGIN_FIELDS.items()}
            authenticator.login(location="main", fields=fields, key="parcours_login")
            # Both messages are kept as French ids, so they follow a change of language.
            ended = state.get(ENDED_MESSAGE)
            limits = auth.limits_of(runtime.settings)  # the messages quote the configured limits
            if ended:
                ended_slot.info(_(ended).format(**{name: md(value) for name, value in limits.items()}))
            failure = state.get(LOGIN_MESSAGE)
            if state.get("authentication_status") is False and failure:
                st.error(_(failure).format(**{name: md(value) for name, value in limits.items()}))
            _sso_panel(runtime, provider)
        if not state.get("authentication_status"):
            return None

    with cookie_slot:
        links.forget_sign_on_link(_cookie_manager(authenticator))
    now = utcnow()
    started_at = state.setdefault(STARTED_AT, now)
    last_activity = state.get(LAST_ACTIVITY, now)
    with unit_of_work(runtime.engine) as session:
        checked = auth.check_session(
            session, runtime.settings, state["username"], started_at=started_at, last_activity_at=last_activity
        )
    if isinstance(checked, auth.SessionEnd):
        end_session(auth.SESSION_END_MESSAGES[checked])
        st.rerun()
    state[LAST_ACTIVITY] = now
    if was_signed_in:  # the login run itself has just drawn the library's own cookie write
        with cookie_slot:
            _confirm_cookie(runtime, authenticator)
    return checked


def _browser_has_cookie(runtime: Runtime, authenticator: stauth.Authenticate) -> bool:
    return runtime.settings.cookie_name in (authenticator.cookie_controller.cookie_model.cookie_manager.cookies or {})


def _delete_cookie(runtime: Runtime, authenticator: stauth.Authenticate) -> None:
    """Delete the login cookie after a logout, again in the next runs while the browser still has it.

    Same cause as in `_confirm_cookie`: a deletion drawn in a run that a rerun overtakes may never
    reach the browser (the cookie stayed after 1 logout in 10 on a loaded machine). The server
    refuses that cookie anyway (sessions_revoked_at); this keeps the browser clean.
    """
    left = st.session_state.get(COOKIE_DELETES_LEFT, 0)
    if left <= 0:
        return
    if left < MAX_COOKIE_DELETES and not _browser_has_cookie(runtime, authenticator):
        st.session_state[COOKIE_DELETES_LEFT] = 0
        return
    st.session_state[COOKIE_DELETES_LEFT] = left - 1
    authenticator.cookie_controller.delete_cookie()


def _confirm_cookie(runtime: Runtime, authenticator: stauth.Authenticate) -> None:
    """Write the login cookie again in the few runs after login, until the browser reports it.

    The library writes it once, from the login run, through a component; when a rerun comes
    before that component's frame has loaded, the frame is dropped and the cookie is never
    written (a reload then asks for the password again: 2 logins in 12 here). The cookie
    manager's `getAll` component reports the browser's cookies, but not always promptly, so
    the writes stop after MAX_COOKIE_WRITES runs in any case.
    """
    left = st.session_state.get(COOKIE_WRITES_LEFT, 0)
    if left <= 0:
        return
    if _browser_has_cookie(runtime, authenticator):
        st.session_state[COOKIE_WRITES_LEFT] = 0
        return
    st.session_state[COOKIE_WRITES_LEFT] = left - 1
    authenticator.cookie_controller.set_cookie()
