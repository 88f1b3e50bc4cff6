"""Notification forms: validation only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SubmitField
from wtforms.validators import DataRequired

from convention.notifications.models import (
    NOTIFICATION_FREQUENCY_LABELS,
    NOTIFICATION_KIND_LABELS,
    NotificationFrequency,
    NotificationKind,
)

FREQUENCY_CHOICES = [SelectChoice(f.value, NOTIFICATION_FREQUENCY_LABELS[f]) for f in NotificationFrequency]


def preferences_form(current: dict[NotificationKind, NotificationFrequency]) -> FlaskForm:
    """One « par courriel » choice per kind of notification, preset to ``current``."""

    class PreferencesForm(FlaskForm):
        pass

    for kind in NotificationKind:
        setattr(
            PreferencesForm,
            f"kind_{kind.value}",
            SelectField(
                NOTIFICATION_KIND_LABELS[kind],
                choices=FREQUENCY_CHOICES,
                default=current[kind].value,
                validators=[DataRequired()],
            ),
        )
    PreferencesForm.submit = SubmitField("Enregistrer mes préférences")
    return PreferencesForm()


def chosen_frequencies(form: FlaskForm) -> dict[NotificationKind, NotificationFrequency]:
    return {
        kind: NotificationFrequency(form[f"kind_{kind.value}"].data) for kind in NotificationKind
    }


class UnsubscribeForm(FlaskForm):
    submit = SubmitField("Ne plus recevoir ces courriels")
