"""OPC UA status codes to point status."""

from __future__ import annotations

from asyncua import ua

from drivers.reading import PointStatus

# Status codes that mean "this node id is wrong", not "the instrument is broken".
_CONFIG_ERRORS = {
    ua.StatusCodes.BadNodeIdUnknown,
    ua.StatusCodes.BadNodeIdInvalid,
    ua.StatusCodes.BadAttributeIdInvalid,
    ua.StatusCodes.BadNotReadable,
    ua.StatusCodes.BadUserAccessDenied,
    ua.StatusCodes.BadFilterNotAllowed,
    ua.StatusCodes.BadMonitoredItemFilterUnsupported,
}
# The server or its link to the field said nothing about the instrument itself.
_COMM_ERRORS = {
    ua.StatusCodes.BadCommunicationError,
    ua.StatusCodes.BadNoCommunication,
    ua.StatusCodes.BadServerNotConnected,
    ua.StatusCodes.BadShutdown,
    ua.StatusCodes.BadTimeout,
    ua.StatusCodes.BadWaitingForInitialData,
}


def point_status(code: ua.StatusCode) -> PointStatus:
    if code.is_good():
        return PointStatus.OK
    if code.is_uncertain():
        return PointStatus.SOURCE_UNCERTAIN
    value = code.value & 0xFFFF0000
    if value in _CONFIG_ERRORS:
        return PointStatus.UNKNOWN_POINT
    if value in _COMM_ERRORS:
        return PointStatus.NO_RESPONSE
    return PointStatus.SOURCE_BAD
