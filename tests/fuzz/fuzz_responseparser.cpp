// ResponseParser on arbitrary agent answers, for /chat and /repair alike: every body
// gets one of the outcomes a 2xx answer may have, and a detail never longer than 200
// characters nor ending in half a surrogate pair.

#include "agent/responseparser.h"
#include "fuzzcheck.h"

#include <cstddef>
#include <cstdint>

using aimload::Endpoint;
using aimload::Outcome;
using aimload::RequestRecord;
using aimload::ResponseParser;

namespace {

RequestRecord recordFor(Endpoint endpoint)
{
    RequestRecord record;
    record.id = 1;
    record.endpoint = endpoint;
    record.workflow
        = endpoint == Endpoint::Repair ? QStringLiteral("forced_full_repair") : QString();
    return record;
}

void checkSuccess(const QByteArray& body, Endpoint endpoint)
{
    RequestRecord record = recordFor(endpoint);
    const ResponseParser::Result result = ResponseParser::parseSuccess(body, record);
    switch (result.outcome) {
    case Outcome::Ok:
        FUZZ_CHECK(result.error.isEmpty());
        break;
    case Outcome::InvalidResponse:
        FUZZ_CHECK(!result.error.isEmpty());
        break;
    case Outcome::AgentFailure:
        FUZZ_CHECK(endpoint == Endpoint::Repair && !result.error.isEmpty());
        break;
    default:
        FUZZ_CHECK(!"parseSuccess() gave an outcome a 2xx answer cannot have");
    }
    FUZZ_CHECK(record.toolCallCount == record.toolNames.size());
    FUZZ_CHECK(endpoint == Endpoint::Repair || record.toolCallCount == 0);
}

void checkErrorDetail(const QByteArray& body, Endpoint endpoint)
{
    RequestRecord record = recordFor(endpoint);
    ResponseParser::parseErrorDetail(body, record);
    FUZZ_CHECK(record.detail.size() <= ResponseParser::DetailLimit);
    FUZZ_CHECK(record.detail.isEmpty() || !record.detail.back().isHighSurrogate());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray body
        = QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size));
    for (const Endpoint endpoint : {Endpoint::Chat, Endpoint::Repair}) {
        checkSuccess(body, endpoint);
        checkErrorDetail(body, endpoint);
    }
    return 0;
}
