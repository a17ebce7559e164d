"""Hostile inputs from a Python grpcio caller: what an integration gets back when it sends them.

Usage: hostile_inputs.py STUBS_DIR HOST:PORT LOCATION_UID
The API key comes from the environment (PODIUM_ROUTER_API_KEY). Prints one JSON object: per case the
status code name, the ErrorDetails from grpc-status-details-bin, the message length and the total size
of the trailing metadata.
"""
import json
import os
import sys

from route_contact import status_details

CALL = "/podium.router.v1.LocationRouterService/Call"


def outcome(call, router_pb2):
    """Runs `call`; returns what the caller can see of its failure (or OK)."""
    import grpc

    try:
        call()
        return {"code": "OK"}
    except grpc.RpcError as err:
        trailers = list(err.trailing_metadata() or ())
        details = []
        for detail in status_details(dict(trailers).get("grpc-status-details-bin", b"")):
            if detail.Is(router_pb2.ErrorDetail.DESCRIPTOR):
                typed = router_pb2.ErrorDetail()
                detail.Unpack(typed)
                details.append({"reason": typed.reason, "location_uid": typed.location_uid, "request_id": typed.request_id})
        size = sum(len(k) + len(v) for k, v in trailers)
        return {"code": err.code().name, "message_len": len((err.details() or "").encode()), "trailer_bytes": size, "details": details}


def main():
    stubs, target, location_uid = sys.argv[1:4]
    sys.path.insert(0, stubs)
    import grpc
    from podium.router.v1 import router_pb2, router_pb2_grpc

    metadata = [("authorization", f"Bearer {os.environ['PODIUM_ROUTER_API_KEY']}")]
    out = {}
    with grpc.insecure_channel(target) as channel:
        stub = router_pb2_grpc.LocationRouterServiceStub(channel)
        raw = channel.unary_unary(CALL, request_serializer=None, response_deserializer=None)

        def call(request, **kwargs):
            return lambda: stub.Call(request, metadata=metadata, timeout=10, **kwargs)

        out["long_location_uid"] = outcome(
            call(router_pb2.CallRequest(location_uid="loc-" + "x" * 300_000, method="GET", path="/v4/contacts", request_id="py-long-uid")), router_pb2
        )
        # A name and a phone number where the HTTP method belongs, and a 400,000-character method.
        out["pii_method"] = outcome(
            call(router_pb2.CallRequest(location_uid=location_uid, method="GET Zelda +61499988877", path="/v4/contacts", request_id="py-pii-method")), router_pb2
        )
        out["long_method"] = outcome(
            call(router_pb2.CallRequest(location_uid=location_uid, method="M" * 400_000, path="/v4/contacts", request_id="py-long-method")), router_pb2
        )
        out["long_request_id"] = outcome(call(router_pb2.CallRequest(location_uid=location_uid, method="GET", path="/v4/contacts", request_id="r" * 200_000)), router_pb2)
        # Protobuf cannot decode a tag with wire type 7.
        out["random_bytes"] = outcome(lambda: raw(b"\x0f" + os.urandom(64), metadata=metadata, timeout=10), router_pb2)
        valid = router_pb2.CallRequest(location_uid=location_uid, method="GET", path="/v4/contacts", request_id="py-deflate")
        out["deflate"] = outcome(call(valid, compression=grpc.Compression.Deflate), router_pb2)
        # 4 MB of zeros gzip to a few KiB: small on the wire, four times the limit once decompressed.
        bomb = router_pb2.CallRequest(location_uid=location_uid, method="POST", path="/v4/contacts", body="0" * 4_000_000, request_id="py-bomb")
        out["gzip_bomb"] = outcome(call(bomb, compression=grpc.Compression.Gzip), router_pb2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
