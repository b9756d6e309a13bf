"""Exam administration: candidate/staff/room sheets, photos, results, and the room/examiner assignment."""
