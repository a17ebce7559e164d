"""A Python caller of podium-router, as a Python integration would be written.

Usage: route_contact.py STUBS_DIR HOST:PORT LOCATION_UID UNKNOWN_UID
The API key comes from the environment (PODIUM_ROUTER_API_KEY), never from argv, so it stays out of
process listings. STUBS_DIR holds the stubs generated from proto/ with grpc_tools.protoc.

It routes a contact write for LOCATION_UID (Call POST /v4/contacts), then asks for UNKNOWN_UID and
decodes the typed refusal from grpc-status-details-bin. It prints one JSON object for the test.
"""
import json
import os
import sys


def read_varint(buf, pos):
    """Returns (value, next position) of the protobuf varint at pos."""
    shift = result = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def status_details(status_bin):
    """The `details` (google.protobuf.Any, field 3) of a serialized google.rpc.Status.

    Debian ships no google.rpc.Status module (pip's googleapis-common-protos has one, and grpcio-status
    wraps it as rpc_status.from_call); decoding the three-field message by hand keeps the test on
    Debian's packages alone.
    """
    from google.protobuf import any_pb2

    details, pos = [], 0
    while pos < len(status_bin):
        key, pos = read_varint(status_bin, pos)
        field, wire_type = key >> 3, key & 7
        if wire_type == 0:
            _, pos = read_varint(status_bin, pos)
        elif wire_type == 2:
            length, pos = read_varint(status_bin, pos)
            if field == 3:
                details.append(any_pb2.Any.FromString(status_bin[pos:pos + length]))
            pos += length
        else:
            raise ValueError(f"unexpected wire type {wire_type} in google.rpc.Status")
    return details


def main():
    stubs, target, location_uid, unknown_uid = sys.argv[1:5]
    sys.path.insert(0, stubs)
    import grpc
    from podium.router.v1 import router_pb2, router_pb2_grpc

    metadata = [("authorization", f"Bearer {os.environ['PODIUM_ROUTER_API_KEY']}")]
    out = {}
    with grpc.insecure_channel(target) as channel:
        stub = router_pb2_grpc.LocationRouterServiceStub(channel)

        contact = {"name": "Ada from Python", "phoneNumber": "+61400000123", "locations": [location_uid]}
        res = stub.Call(
            router_pb2.CallRequest(location_uid=location_uid, method="POST", path="/v4/contacts", body=json.dumps(contact)),
            metadata=metadata,
            timeout=10,
        )
        out["contact"] = {"status": res.status, "request_id": res.request_id, "identifier": json.loads(res.body)["data"]["identifier"]}

        try:
            stub.Call(router_pb2.CallRequest(location_uid=unknown_uid, method="GET", path="/v4/contacts"), metadata=metadata, timeout=10)
            out["unknown"] = {"code": "OK"}
        except grpc.RpcError as err:
            trailers = dict(err.trailing_metadata() or ())
            reasons = []
            for detail in status_details(trailers.get("grpc-status-details-bin", b"")):
                if detail.Is(router_pb2.ErrorDetail.DESCRIPTOR):
                    typed = router_pb2.ErrorDetail()
                    detail.Unpack(typed)
                    reasons.append({"reason": typed.reason, "location_uid": typed.location_uid, "request_id": typed.request_id})
            out["unknown"] = {"code": err.code().name, "message": err.details(), "details": reasons}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
