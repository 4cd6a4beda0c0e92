"""Real parts the tests run against: a Mosquitto broker, an HTTP receiver, condition waits."""

from tests.support.broker import MosquittoBroker, free_port
from tests.support.receiver import NotificationReceiver, ReceivedNotification
from tests.support.waiting import wait_until

__all__ = ["MosquittoBroker", "NotificationReceiver", "ReceivedNotification", "free_port", "wait_until"]
