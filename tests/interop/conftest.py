import pytest

from servers import Server


@pytest.fixture
def coffer():
    server = Server("coffer").start()
    yield server
    server.cleanup()


@pytest.fixture
def bao():
    server = Server("bao").start()
    yield server
    server.cleanup()


@pytest.fixture(params=["coffer", "bao"])
def either(request):
    """The same test against Coffer and against OpenBao: they must behave alike."""
    server = Server(request.param).start()
    yield server
    server.cleanup()
