"""Scheduled work driven by the beat: phase transitions, event reminders (and the polls).

Due work is computed from the database (dates) and from the occurrences already recorded,
so a beat that was down catches up at its next tick, once, and two beats or workers never
fire the same occurrence twice.
"""
