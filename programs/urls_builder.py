"""Coach pages of programs: the builder, assigning, the athlete calendar, team training."""

from django.urls import path

from . import views_builder as builder
from . import views_calendar as calendar

program = "programs/<int:pk>/"
session = program + "sessions/<int:session_pk>/"
prescription = program + "prescriptions/<int:prescription_pk>/"
athlete = "athletes/<int:athlete_id>/calendar/"

urlpatterns = [
    path("programs/", builder.program_list, name="program_list"),
    path("programs/new/", builder.program_create, name="program_create"),
    path(program, builder.program_builder, name="program_builder"),
    path(program + "duplicate/", builder.program_duplicate, name="program_duplicate"),
    path(program + "assign/", calendar.program_assign, name="program_assign"),
    path(program + "sessions/", builder.session_add, name="session_add"),
    path(session, builder.session_block, name="session_block"),
    path(session + "remove/", builder.session_remove, name="session_remove"),
    path(session + "exercises/", builder.exercise_search, name="session_exercise_search"),
    path(session + "add/", builder.prescription_add, name="prescription_add"),
    path(prescription + "edit/", builder.prescription_edit, name="prescription_edit"),
    path(prescription + "preset/", builder.prescription_preset, name="prescription_preset"),
    path(prescription + "move/", builder.prescription_move, name="prescription_move"),
    path(prescription + "remove/", builder.prescription_remove, name="prescription_remove"),
    path(athlete, calendar.athlete_calendar, name="athlete_calendar"),
    path(
        athlete + "assignments/<int:assignment_id>/<str:action>/",
        calendar.assignment_change,
        name="assignment_change",
    ),
    path(
        athlete + "sessions/<int:session_id>/reschedule/",
        calendar.session_reschedule,
        name="session_reschedule",
    ),
    path("teams/<int:team_id>/training/", calendar.team_training, name="team_training"),
]
