# Copyright The Ladle authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Ladle.SessionConfiguration from Python: defaults, kinds, headers, copies.

from gi.repository import Ladle


def test_defaults():
    configuration = Ladle.SessionConfiguration.new_default()
    assert configuration.get_kind() == Ladle.SessionKind.DEFAULT
    assert configuration.get_identifier() is None
    assert configuration.get_timeout() > 0
    assert configuration.props.timeout == configuration.get_timeout()
    assert configuration.get_max_connections_per_host() > 0
    assert configuration.get_user_agent() is None
    assert configuration.get_allow_metered() is True
    assert configuration.dup_header_names() == []
    assert configuration.get_state_directory()


def test_kinds():
    assert Ladle.SessionConfiguration.new_ephemeral().get_kind() == Ladle.SessionKind.EPHEMERAL
    background = Ladle.SessionConfiguration.new_background("org.example.Python")
    assert background.get_kind() == Ladle.SessionKind.BACKGROUND
    assert background.get_identifier() == "org.example.Python"


def test_headers():
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    configuration.set_header("X-B", "2")
    configuration.set_header("X-A", "1")
    assert configuration.get_header("x-a") == "1"
    assert configuration.dup_header_names() == ["X-A", "X-B"]
    configuration.set_header("X-A", None)
    assert configuration.get_header("X-A") is None
    assert configuration.dup_header_names() == ["X-B"]


def test_session_copies_its_configuration():
    configuration = Ladle.SessionConfiguration.new_ephemeral()
    configuration.set_timeout(5)
    configuration.set_header("X-One", "1")
    session = Ladle.Session.new(configuration)

    configuration.set_timeout(50)
    configuration.set_header("X-One", "changed")

    seen = session.dup_configuration()
    assert seen.get_timeout() == 5
    assert seen.get_header("X-One") == "1"

    seen.set_timeout(7)
    assert session.dup_configuration().get_timeout() == 5
    assert session.props.configuration.get_timeout() == 5


def test_copy():
    configuration = Ladle.SessionConfiguration.new_background("copy")
    configuration.set_timeout(9)
    configuration.set_user_agent("Copy/1")
    configuration.set_header("X-Copy", "yes")
    copy = configuration.copy()
    assert copy is not configuration
    assert copy.get_kind() == Ladle.SessionKind.BACKGROUND
    assert copy.get_identifier() == "copy"
    assert copy.get_timeout() == 9
    assert copy.get_user_agent() == "Copy/1"
    assert copy.get_header("X-Copy") == "yes"
    copy.set_timeout(1)
    assert configuration.get_timeout() == 9
