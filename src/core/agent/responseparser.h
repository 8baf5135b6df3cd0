#pragma once

#include "agent/requestrecord.h"

#include <QByteArray>

namespace aimload {

// Reads an agent answer into the record: the agent's own measurements, the tool calls,
// and whether the body keeps the route's promise (agent-api.md).
class ResponseParser
{
public:
    struct Result
    {
        Outcome outcome = Outcome::Ok;
        QString error;
    };

    // A 2xx answer: ok, invalid_response or agent_failure.
    static Result parseSuccess(const QByteArray& body, RequestRecord& record);
    // A non-2xx answer: keeps the first 200 characters of its "detail".
    static void parseErrorDetail(const QByteArray& body, RequestRecord& record);

    static constexpr int DetailLimit = 200;
};

} // namespace aimload
