"""OPC UA status codes to point status, and on to the quality acquisition stores."""

import numpy as np
import pytest
from asyncua import ua

from drivers.opcua.status import point_status
from drivers.reading import PointStatus
from station.acquisition import _STATUS_QUALITY
from station.samples import Quality

S = ua.StatusCodes


@pytest.mark.parametrize(
    ("code", "status", "quality"),
    [
        (S.Good, PointStatus.OK, Quality.GOOD),
        (S.GoodClamped, PointStatus.OK, Quality.GOOD),
        (S.Uncertain, PointStatus.SOURCE_UNCERTAIN, Quality.UNCERTAIN_SOURCE),
        (S.UncertainLastUsableValue, PointStatus.SOURCE_UNCERTAIN, Quality.UNCERTAIN_SOURCE),
        (S.UncertainSensorNotAccurate, PointStatus.SOURCE_UNCERTAIN, Quality.UNCERTAIN_SOURCE),
        (S.BadSensorFailure, PointStatus.SOURCE_BAD, Quality.BAD_SENSOR),
        (S.BadOutOfService, PointStatus.SOURCE_BAD, Quality.BAD_SENSOR),
        (S.BadCommunicationError, PointStatus.NO_RESPONSE, Quality.BAD_COMM_LOSS),
        (S.BadNoCommunication, PointStatus.NO_RESPONSE, Quality.BAD_COMM_LOSS),
        (S.BadServerNotConnected, PointStatus.NO_RESPONSE, Quality.BAD_COMM_LOSS),
        (S.BadWaitingForInitialData, PointStatus.NO_RESPONSE, Quality.BAD_COMM_LOSS),
        (S.BadTimeout, PointStatus.NO_RESPONSE, Quality.BAD_COMM_LOSS),
        (S.BadNodeIdUnknown, PointStatus.UNKNOWN_POINT, Quality.BAD_CONFIG),
        (S.BadUserAccessDenied, PointStatus.UNKNOWN_POINT, Quality.BAD_CONFIG),
    ],
)
def test_status_code_maps_to_point_status_and_quality(
    code: int, status: PointStatus, quality: Quality
) -> None:
    got = point_status(ua.StatusCode(ua.UInt32(code)))
    assert got is status
    assert Quality(int(_STATUS_QUALITY[np.array([got], dtype=np.uint8)][0])) is quality


def test_every_point_status_has_a_quality() -> None:
    assert len(_STATUS_QUALITY) == len(PointStatus)
    assert Quality(int(_STATUS_QUALITY[PointStatus.INITIAL])) is Quality.UNCERTAIN_INITIAL
