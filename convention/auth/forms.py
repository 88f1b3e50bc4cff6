"""Account forms: validation only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from convention.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Adresse électronique"),
        validators=[DataRequired(_l("Indiquez votre adresse électronique."))],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Indiquez votre mot de passe."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Rester connecté·e sur cet appareil"))
    submit = SubmitField(_l("Se connecter"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[
            DataRequired(_l("Choisissez un mot de passe.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l(
                    "Le mot de passe doit comporter entre %(min)d et %(max)d caractères.",
                    min=MIN_PASSWORD_LENGTH,
                    max=MAX_PASSWORD_LENGTH,
                ),
            ),
        ],
        description=_l(
            "Au moins %(min)d caractères, et pas un mot de passe courant (« azerty123456 », "
            "« Motdepasse2025! »…). Une phrase de plusieurs mots est facile à retenir et "
            "difficile à deviner.",
            min=MIN_PASSWORD_LENGTH,
        ),
        render_kw={"autocomplete": "new-password", "data-password-strength": "robustesse-mot-de-passe"},
    )
    confirm = PasswordField(
        _l("Confirmez le mot de passe"),
        validators=[
            DataRequired(_l("Saisissez le mot de passe une seconde fois.")),
            EqualTo("password", message=_l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Enregistrer le mot de passe"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Adresse électronique"),
        validators=[
            DataRequired(_l("Indiquez votre adresse électronique.")),
            Email(_l("Cette adresse électronique n'est pas valide.")),
        ],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField(_l("Recevoir un lien de réinitialisation"))


class LogoutForm(FlaskForm):
    """An empty form: only its CSRF token matters."""

    submit = SubmitField(_l("Se déconnecter"))
