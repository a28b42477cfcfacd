"""BFCL's multi-turn API classes as executable environments, BFCL's executor semantics and its checker.

One module per API class (``gorilla_file_system``, ``math_api``, ``message_api``, ``posting_api``,
``ticket_api``, ``trading_bot``, ``travel_booking``, ``vehicle_control``), written from BFCL's behaviour
(bfcl-eval 2026.3.23) and checked against it call by call (``tools/make_bfcl_multiturn_reference.py``).
``calls`` parses call strings with ``ast`` (never ``eval``); ``session`` holds one entry's instances across
turns and renders results as BFCL does; ``checker`` is BFCL's multi-turn checker; ``entries`` reads the
multi-turn question and answer files; ``environment`` presents the classes as domains ``bfcl:<Class>`` that
synthesis executes and verifies on.
"""
