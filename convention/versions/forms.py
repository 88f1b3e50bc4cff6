"""Forms of the versions pages: a status confirmed, a file uploaded, its publication confirmed."""

from __future__ import annotations

from dataclasses import dataclass

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

DEFAULT_TEXT_FILE_MAX_BYTES = 1024 * 1024  # a text file: the convention's text is about 180 kB
DEFAULT_DOCUMENT_MAX_BYTES = 15 * 1024 * 1024  # a DOCX, ODT or PDF, with its images
# Above this size, or for a PDF of more pages (about 40 ms a page here), the file is read by a job
# with its progress page rather than while the page waits.
DEFAULT_INLINE_MAX_BYTES = 300 * 1024
DEFAULT_INLINE_PDF_PAGES = 25
TEXT_FILE_EXTENSIONS = (".txt", ".md", ".markdown", ".text")
DOCUMENT_EXTENSIONS = (".docx", ".odt", ".pdf")
PREVIEW_MAX_AGE = 2 * 3600  # seconds: an upload's preview can be confirmed for two hours
_SALT = "text-version-upload"
FORMAT_CHOICES = [
    SelectChoice("auto", _l("Deviner d'après le fichier")),
    SelectChoice("markdown", _l("Markdown (# Partie, ## Chapitre)")),
    SelectChoice("plain", _l("Texte brut")),
]
ACCEPTED = _l("seul un fichier texte (.txt, .md), Word (.docx), LibreOffice (.odt) ou PDF est accepté")
_LABEL_LENGTH = TextVersion.__table__.c.label.type.length


def text_file_max_bytes() -> int:
    return int(current_app.config.get("TEXT_FILE_MAX_BYTES", DEFAULT_TEXT_FILE_MAX_BYTES))


def document_max_bytes() -> int:
    return int(current_app.config.get("TEXT_DOCUMENT_MAX_BYTES", DEFAULT_DOCUMENT_MAX_BYTES))


def inline_max_bytes() -> int:
    """The largest file read while the page waits; a larger one is read by a job."""
    return int(current_app.config.get("TEXT_IMPORT_INLINE_MAX_BYTES", DEFAULT_INLINE_MAX_BYTES))


def inline_pdf_pages() -> int:
    """The longest PDF read while the page waits; a longer one is read by a job."""
    return int(current_app.config.get("TEXT_IMPORT_INLINE_PDF_PAGES", DEFAULT_INLINE_PDF_PAGES))


def needs_job(data: bytes) -> bool:
    """Is this file long enough to be read by a job, with its progress page?"""
    if len(data) > inline_max_bytes():
        return True
    if data[:1024].find(b"%PDF-") >= 0:
        from convention.domain.documents.pdf import count_pages

        return count_pages(data) > inline_pdf_pages()
    return False


def status_choices(statuses: list[VersionStatus] | None = None) -> list[SelectChoice]:
    return [SelectChoice(status.value, _l(VERSION_STATUS_LABELS[status])) for status in statuses or VersionStatus]


class StatusForm(FlaskForm):
    """The confirmation of a new status: only its CSRF token and the status matter."""

    status = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Confirmer le nouveau statut"))


class TextFileForm(FlaskForm):
    """The file of a new version; ``upload`` holds (name, bytes) once valid."""

    file = FileField(
        _l("Fichier du texte"),
        validators=[FileRequired(_l("Choisissez le fichier du texte."))],
        render_kw={
            "accept": ".docx,.odt,.pdf,.txt,.md,.markdown,text/plain,text/markdown,application/pdf,"
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
            "application/vnd.oasis.opendocument.text"
        },
    )
    format = SelectField(
        _l("Syntaxe d'un fichier texte"),
        choices=FORMAT_CHOICES,
        default="auto",
        description=_l("Pour un fichier .txt ou .md seulement : DOCX, ODT et PDF sont reconnus d'eux-mêmes."),
    )
    submit = SubmitField(_l("Voir ce que le fichier change"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload: tuple[str, bytes] | None = None
        self.file.description = _l(
            "Word (.docx), LibreOffice (.odt) ou PDF de %(document)s au plus, ou texte brut ou Markdown en UTF-8 de "
            "%(size)s au plus. Rien n'est publié à cette étape : la page suivante montre la structure lue, ce que "
            "l'import n'a pas pu reprendre et les changements.",
            document=format_size(document_max_bytes()),
            size=format_size(text_file_max_bytes()),
        )

    def validate_file(self, field: FileField) -> None:
        from convention.domain.documents.reader import Refused, sniff

        storage = field.data
        if storage is None or not getattr(storage, "filename", None):
            return
        filename = secure_filename(storage.filename) or "texte.txt"
        lowered = filename.lower()
        if not lowered.endswith(TEXT_FILE_EXTENSIONS + DOCUMENT_EXTENSIONS):
            raise ValidationError(
                _l("Fichier refusé : %(accepted)s, pas « %(name)s ».", accepted=ACCEPTED, name=filename)
            )
        max_bytes = document_max_bytes() if lowered.endswith(DOCUMENT_EXTENSIONS) else text_file_max_bytes()
        data = storage.stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ValidationError(
                _l("Fichier refusé : il dépasse la taille autorisée (%(size)s).", size=format_size(max_bytes))
            )
        if lowered.endswith(DOCUMENT_EXTENSIONS) and data.strip():
            try:
                kind = sniff(data, filename)
            except Refused:
                kind = "document"  # the importer says why, on the next page
            if kind == "text":
                raise ValidationError(
                    _l(
                        "Fichier refusé : « %(name)s » n'est pas le document que son nom annonce ; %(accepted)s.",
                        name=filename,
                        accepted=ACCEPTED,
                    )
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

    def __init__(self, *args, statuses: list[VersionStatus] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = status_choices(statuses)
        shown = "formdata" in kwargs and kwargs["formdata"] is None  # the preview's form, not a submission
        if shown and statuses and self.status.data not in {s.value for s in statuses}:
            self.status.data = statuses[0].value


# --- the file between the preview and the publication ---------------------------------------------
# Nothing is written before the confirmation, and the site may run on several machines: the
# preview page carries what was read — the document's structure itself, signed with the secret key
# (and compressed), or for a large file the job that read it — so that the publication writes
# exactly what was previewed.


@dataclass(frozen=True)
class Upload:
    """What the preview's form carries: the file's name, how it was read and the version it was compared with.

    ``convention_id`` and ``text_id`` name the convention and the text the file was previewed for:
    the token is refused on another convention's (or text's) page, so that a file previewed for
    one convention is never published in another whose version numbers happen to match.
    """

    filename: str
    format: str
    base: int | None
    checksum: str
    document: dict | None = None  # the parsed document (a small file)
    job_id: int | None = None  # or the import job that read it (a large file)
    convention_id: int | None = None  # None: a token not bound to a convention (the setup wizard's)
    text_id: int | None = None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def sign_upload(upload: Upload) -> str:
    """The token of the preview's form."""
    return _serializer().dumps(
        {
            "v": 2,
            "name": upload.filename,
            "format": upload.format,
            "base": upload.base,
            "checksum": upload.checksum,
            "document": upload.document,
            "job": upload.job_id,
            "convention": upload.convention_id,
            "text": upload.text_id,
        }
    )


def form_memory_limit() -> int:
    """The most a form field can carry (Werkzeug refuses a bigger form with a 413)."""
    return int(current_app.config.get("MAX_FORM_MEMORY_SIZE") or 500_000)


class UploadExpired(Exception):
    """The signed file is too old or was altered: the file must be sent again."""


class UploadMismatch(UploadExpired):
    """The signed file was previewed for another convention or another text: nothing is written."""


UNREADABLE = "Le fichier de l'aperçu n'est pas lisible : envoyez-le de nouveau."
OTHER_CONVENTION = (
    "Ce fichier a été prévisualisé pour une autre convention : rien n'a été publié. Envoyez-le de nouveau "
    "depuis la page des versions de cette convention-ci pour voir ce qu'il y change."
)
OTHER_TEXT = (
    "Ce fichier a été prévisualisé pour un autre texte : rien n'a été publié. Envoyez-le de nouveau pour voir "
    "ce qu'il change dans ce texte-ci."
)


def _id_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_upload(token: str, *, convention_id: int | None = None, text_id: int | None = None) -> Upload:
    """The :class:`Upload` of ``sign_upload``'s token, previewed for ``convention_id`` and ``text_id``.

    A token signed for another convention or another text — or one bound to a convention read where
    none is expected, or the reverse — raises :class:`UploadMismatch`: the same Bureau national may
    have two conventions' pages open, and a preview must be published only where it was made.
    """
    try:
        payload = _serializer().loads(token, max_age=PREVIEW_MAX_AGE)
    except SignatureExpired:
        raise UploadExpired("L'aperçu a expiré : envoyez le fichier de nouveau.") from None
    except BadSignature:
        raise UploadExpired(UNREADABLE) from None
    if not isinstance(payload, dict) or payload.get("v") != 2:
        raise UploadExpired(UNREADABLE)
    if _id_or_none(payload.get("convention")) != convention_id:
        raise UploadMismatch(OTHER_CONVENTION)
    if _id_or_none(payload.get("text")) != text_id:
        raise UploadMismatch(OTHER_TEXT)
    document, job = payload.get("document"), payload.get("job")
    if not (isinstance(document, dict) or isinstance(job, int)):
        raise UploadExpired(UNREADABLE)
    base = payload.get("base")
    return Upload(
        filename=str(payload.get("name") or "texte.txt"),
        format=str(payload.get("format") or ""),
        base=base if isinstance(base, int) else None,
        checksum=str(payload.get("checksum") or ""),
        document=document if isinstance(document, dict) else None,
        job_id=job if isinstance(job, int) else None,
        convention_id=convention_id,
        text_id=text_id,
    )
