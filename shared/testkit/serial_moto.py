"""moto's server with one request at a time.

moto answers requests on parallel threads and does not lock a DynamoDB
transaction while it checks its conditions and writes, so two concurrent
TransactWriteItems on one item can both pass their conditions, which
DynamoDB never allows. The race tests need DynamoDB's behaviour, so this
serves moto's own application with every request handled under one lock.
Usage: python3 serial_moto.py -H 127.0.0.1 -p PORT
"""

import argparse
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

parser = argparse.ArgumentParser()
parser.add_argument("-H", "--host", default="127.0.0.1")
parser.add_argument("-p", "--port", type=int, required=True)
args = parser.parse_args()

app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def serial(environ, start_response):
    # The whole response is produced under the lock, not just started.
    with lock:
        return list(app(environ, start_response))


run_simple(args.host, args.port, serial, threaded=True)
