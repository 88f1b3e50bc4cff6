"""Forms of the versions pages: a status confirmed, a file uploaded, its publication confirmed."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.utils import secure_filename
from wtforms import HiddenField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from convention.contributions.attachments import format_size
from convention.texts.models import VERSION_STATUS_LABELS, TextVersion, VersionStatus

DEFAULT_TEXT_FILE_MAX_BYTES = 1024 * 1024  # the convention's text is about 180 kB
TEXT_FILE_EXTENSIONS = (".txt", ".md", ".markdown", ".text")
PREVIEW_MAX_AGE = 2 * 3600  # seconds: an upload's preview can be confirmed for two hours
_SALT = "text-version-upload"
FORMAT_CHOICES = [
    SelectChoice("auto", _l("Deviner d'après le fichier")),
    SelectChoice("markdown", _l("Markdown (# Partie, ## Chapitre)")),
    SelectChoice("plain", _l("Texte brut")),
]
_LABEL_LENGTH = TextVersion.__table__.c.label.type.length


def text_file_max_bytes() -> int:
    return int(current_app.config.get("TEXT_FILE_MAX_BYTES", DEFAULT_TEXT_FILE_MAX_BYTES))


def status_choices() -> list[SelectChoice]:
    return [SelectChoice(status.value, _l(VERSION_STATUS_LABELS[status])) for status in VersionStatus]


class StatusForm(FlaskForm):
    """The confirmation of a new status: only its CSRF token and the status matter."""

    status = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Confirmer le nouveau statut"))


class TextFileForm(FlaskForm):
    """The file of a new version; ``upload`` holds (name, bytes) once valid."""

    file = FileField(
        _l("Fichier du texte"),
        validators=[FileRequired(_l("Choisissez le fichier du texte."))],
        render_kw={"accept": ".txt,.md,.markdown,text/plain,text/markdown"},
    )
    format = SelectField(_l("Syntaxe du fichier"), choices=FORMAT_CHOICES, default="auto")
    submit = SubmitField(_l("Voir ce que le fichier change"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload: tuple[str, bytes] | None = None
        self.file.description = _l(
            "Texte brut ou Markdown, encodé en UTF-8, de %(size)s au plus. Rien n'est publié à "
            "cette étape : la page suivante montre la structure lue et les changements.",
            size=format_size(text_file_max_bytes()),
        )

    def validate_file(self, field: FileField) -> None:
        storage = field.data
        if storage is None or not getattr(storage, "filename", None):
            return
        filename = secure_filename(storage.filename) or "texte.txt"
        if not filename.lower().endswith(TEXT_FILE_EXTENSIONS):
            raise ValidationError(
                _l(
                    "Fichier refusé : seul un fichier texte (.txt) ou Markdown (.md) est accepté, pas « %(name)s ».",
                    name=filename,
                )
            )
        max_bytes = text_file_max_bytes()
        data = storage.stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ValidationError(
                _l("Fichier refusé : il dépasse la taille autorisée (%(size)s).", size=format_size(max_bytes))
            )
        self.upload = (filename, data)


class PublishForm(FlaskForm):
    """The publication of a previewed file: the file travels signed in ``upload``."""

    upload = HiddenField(validators=[DataRequired()])
    status = SelectField(
        _l("Statut de la nouvelle version"),
        choices=[],
        default=VersionStatus.AMENDED.value,
        validators=[DataRequired(_l("Choisissez le statut de la nouvelle version."))],
    )
    label = StringField(
        _l("Libellé de la version"),
        validators=[Optional(), Length(max=_LABEL_LENGTH, message=_l("%(max)d caractères au plus."))],
        description=_l("Facultatif ; par défaut le statut et le nom du fichier."),
    )
    submit = SubmitField(_l("Publier la nouvelle version"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = status_choices()


# --- the file between the preview and the publication ---------------------------------------------
# Nothing is written before the confirmation, and the site may run on several machines: the
# preview page carries the file itself, signed with the secret key (and compressed), so that
# the publication reads exactly the file that was previewed.


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def sign_upload(filename: str, data: bytes, fmt: str, base_number: int | None) -> str:
    """The token of the preview's form: the file, its syntax and the version it was compared with."""
    return _serializer().dumps({"name": filename, "format": fmt, "base": base_number, "data": data.decode("utf-8-sig")})


def form_memory_limit() -> int:
    """The most a form field can carry (Werkzeug refuses a bigger form with a 413)."""
    return int(current_app.config.get("MAX_FORM_MEMORY_SIZE") or 500_000)


class UploadExpired(Exception):
    """The signed file is too old or was altered: the file must be sent again."""


def read_upload(token: str) -> tuple[str, bytes, str, int | None]:
    """(filename, data, format, base version number) from ``sign_upload``'s token."""
    try:
        payload = _serializer().loads(token, max_age=PREVIEW_MAX_AGE)
    except SignatureExpired:
        raise UploadExpired("L'aperçu a expiré : envoyez le fichier de nouveau.") from None
    except BadSignature:
        raise UploadExpired("Le fichier de l'aperçu n'est pas lisible : envoyez-le de nouveau.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), str):
        raise UploadExpired("Le fichier de l'aperçu n'est pas lisible : envoyez-le de nouveau.")
    fmt = payload.get("format") if payload.get("format") in {"auto", "markdown", "plain"} else "auto"
    base = payload.get("base")
    return str(payload.get("name") or "texte.txt"), payload["data"].encode("utf-8"), fmt, base
