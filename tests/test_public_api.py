import guiagent


def test_all_names_resolve():
    for name in guiagent.__all__:
        assert getattr(guiagent, name) is not None, name


def test_lazy_driver_import():
    from guiagent.drivers.playwright import PlaywrightDriver
    assert guiagent.PlaywrightDriver is PlaywrightDriver
