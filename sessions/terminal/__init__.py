"""A participant's terminal: the `/ws/terminal/{participant_id}/` socket, the plan of
what a press of Run runs, and the relay between the run service (coding.runs) and
every terminal socket of the participant in every server process."""
