#pragma once

#include "prompts/prompt.h"

#include <QDateTime>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <cmath>

namespace aimload {

enum class Model
{
    A,
    B
};

QChar modelLetter(Model model);
QString modelLabel(Model model); // "Model A"

enum class Outcome
{
    Pending,
    Ok,
    HttpError,
    Timeout,
    ConnectionError,
    InvalidResponse,
    AgentFailure,
    Cancelled,
};

QString outcomeName(Outcome outcome); // "ok", "http_error", ...
bool isFailure(Outcome outcome);

// One request to the agent, as the engine planned it and as the client finished it.
// It is a plain value: every consumer gets its own copy.
struct RequestRecord
{
    quint64 id = 0;
    int user = 0;
    quint64 cycle = 0;
    bool triggered = false;

    QString promptId;
    QString group;
    QString description;
    QString message;
    Model model = Model::A;
    Endpoint endpoint = Endpoint::Chat;
    QString workflow;

    QDateTime startedAt; // wall clock, UTC, when the request left
    double latencyMs = 0.0; // from leaving the client to the end of the answer
    int httpStatus = 0; // 0 when no HTTP answer arrived
    qint64 responseBytes = 0;
    Outcome outcome = Outcome::Pending;
    QString error; // human readable reason for a failure, empty when ok
    QString redirectTarget;

    QString modelUsed;
    double agentLatencySeconds = std::nan("");
    int toolCallCount = 0;
    QStringList toolNames;
    QString detail; // first 200 characters of the agent's error detail
    QString traceId; // W3C trace context: 32 hex digits, one trace per cycle; empty when off
    QString spanId; // 16 hex digits, one span per request
    QByteArray body; // the answer as received (bounded by the client's cap)

    bool finished() const { return outcome != Outcome::Pending; }
};

} // namespace aimload

Q_DECLARE_METATYPE(aimload::RequestRecord)
