"""French error pages for the site, JSON errors for the API."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from convention.domain.errors import DomainError, IllegalTransition

logger = logging.getLogger(__name__)

MESSAGES = {
    400: ("Requête invalide", "La requête n'a pas pu être comprise. Vérifiez le formulaire et réessayez."),
    401: ("Connexion requise", "Connectez-vous pour accéder à cette page."),
    403: ("Accès refusé", "Vous n'avez pas les droits nécessaires pour cette action."),
    404: ("Page introuvable", "La page demandée n'existe pas ou a été déplacée."),
    405: ("Méthode non autorisée", "Cette action n'est pas possible sur cette page."),
    409: ("Action impossible", "Cette action n'est pas possible dans l'état actuel."),
    413: ("Fichier trop volumineux", "Le fichier envoyé dépasse la taille autorisée."),
    422: ("Données invalides", "Les données envoyées ne sont pas valides."),
    429: ("Trop de tentatives", "Trop de tentatives en peu de temps. Patientez quelques minutes avant de réessayer."),
    500: ("Erreur interne", "Une erreur inattendue s'est produite. L'équipe technique a été prévenue."),
}  # fmt: skip


def wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(
    code: int, detail: str | None = None, headers: dict | None = None, errors: dict | None = None
):
    title, message = MESSAGES.get(code, (f"Erreur {code}", ""))
    if wants_json():
        payload = {"code": code, "status": title, "message": detail or message}
        if errors:
            payload["errors"] = errors
        response = jsonify(payload)
    else:
        response = render_template(
            "errors/error.html", code=code, title=title, message=detail or message
        )
    if isinstance(response, str):
        from flask import make_response

        response = make_response(response)
    response.status_code = code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            "Le formulaire a expiré ou n'est pas valide (jeton de sécurité). Rechargez la page "
            "et envoyez-le de nouveau : rien n'a été enregistré.",
        )

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page template either.
        logger.warning("Request refused: %s", error.description)
        return (
            "Requête refusée : adresse du site inconnue.\n",
            400,
            {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"},
        )

    @app.errorhandler(IllegalTransition)
    def illegal_transition(error: IllegalTransition):
        # A lifecycle that explains itself in French (the amendment's) says what is possible instead.
        return render_error(409, getattr(error, "message", None))

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return render_error(409, str(error) or None)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        headers = {}
        if error.code == 405:
            headers = {k: v for k, v in error.get_headers() if k == "Allow"}
        detail = None
        errors = None
        if error.code == 429:
            from convention.core.ratelimit import retry_message

            detail = retry_message()  # says when to retry (the Retry-After header too)
        if wants_json():
            # Validation errors of the API (webargs) carry {"query": {"field": [messages]}}.
            errors = (getattr(error, "data", None) or {}).get("messages")
            if errors:
                detail = "Paramètres invalides : " + " ; ".join(
                    f"{name} : {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
                    for location in errors.values()
                    for name, msgs in (location.items() if isinstance(location, dict) else [])
                )
            elif error.description and error.description != type(error).description:
                detail = error.description  # abort(404, description="Texte introuvable.")
        return render_error(error.code or 500, detail, headers, errors)

    @app.errorhandler(InternalServerError)
    def unexpected_error(error: InternalServerError):
        # Reached for unhandled exceptions once Flask has logged them (not in testing). The
        # failed unit of work is rolled back first: the error page may query the database.
        from convention.core.db import db

        try:
            db.session.rollback()
        except Exception:  # the database itself may be what failed
            pass
        return render_error(500)
