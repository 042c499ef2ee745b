def test_placeholder_to_be_written(): pass
