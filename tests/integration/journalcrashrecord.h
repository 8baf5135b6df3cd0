#pragma once

#include "agent/requestrecord.h"

#include <QDateTime>
#include <QStringList>

#include <cmath>
#include <initializer_list>
#include <utility>

// The k-th request the crash test's writer records: every field set, and the same in the
// writer and in the test that checks what survived the kill.
inline aimload::RequestRecord journalCrashRecord(quint64 k)
{
    using namespace Qt::StringLiterals;

    aimload::RequestRecord record;
    record.id = k;
    record.user = int(k % 4);
    record.cycle = (k + 1) / 2;
    record.triggered = k % 11 == 0;
    record.promptId = u"prompt-%1"_s.arg(k % 9);
    record.group = k % 3 ? u"chat"_s : u"repair"_s;
    record.description = u"request number %1"_s.arg(k);
    record.message = u"Message %1 with \"quotes\", ünïcödé 🚀\nand a second line"_s.arg(k);
    record.model = k % 2 ? aimload::Model::A : aimload::Model::B;
    record.endpoint = k % 3 ? aimload::Endpoint::Chat : aimload::Endpoint::Repair;
    record.workflow = k % 3 ? QString() : u"ci-fix"_s;
    record.startedAt = QDateTime(QDate(2024, 6, 1), QTime(0, 0), Qt::UTC).addSecs(qint64(k) * 720);
    record.latencyMs = 100.0 + double(k) * 0.25;
    record.httpStatus = k % 10 == 0 ? 503 : 200;
    record.responseBytes = qint64(k) * 13;
    record.outcome = k % 10 == 0 ? aimload::Outcome::HttpError : aimload::Outcome::Ok;
    record.error = k % 10 == 0 ? u"HTTP 503 Service Unavailable"_s : QString();
    record.modelUsed = k % 2 ? u"model-a"_s : u"model-b"_s;
    record.agentLatencySeconds = k % 7 == 0 ? std::nan("") : double(k) / 8.0;
    record.toolCallCount = int(k % 3);
    for (int i = 0; i < record.toolCallCount; ++i)
        record.toolNames.append(u"tool_%1"_s.arg(i));
    record.detail = k % 10 == 0 ? u"upstream overloaded"_s : QString();
    record.traceId = u"%1"_s.arg(k, 32, 16, QChar(u'0'));
    record.spanId = u"%1"_s.arg(k * 2, 16, 16, QChar(u'0'));
    record.body = QByteArray("{\"answer\": \"") + QByteArray::number(k) + QByteArray("\"}");
    return record;
}

// The names of the fields in which actual differs from the k-th record; the body is
// compared as the journal keeps it, its first 4 KiB.
inline QStringList journalCrashDifferences(const aimload::RequestRecord& actual, quint64 k)
{
    using namespace Qt::StringLiterals;

    const aimload::RequestRecord expected = journalCrashRecord(k);
    const bool sameAgentLatency = std::isnan(actual.agentLatencySeconds)
        ? std::isnan(expected.agentLatencySeconds)
        : actual.agentLatencySeconds == expected.agentLatencySeconds;
    const std::initializer_list<std::pair<QString, bool>> fields {
        {u"id"_s, actual.id == expected.id},
        {u"user"_s, actual.user == expected.user},
        {u"cycle"_s, actual.cycle == expected.cycle},
        {u"triggered"_s, actual.triggered == expected.triggered},
        {u"promptId"_s, actual.promptId == expected.promptId},
        {u"group"_s, actual.group == expected.group},
        {u"description"_s, actual.description == expected.description},
        {u"message"_s, actual.message == expected.message},
        {u"model"_s, actual.model == expected.model},
        {u"endpoint"_s, actual.endpoint == expected.endpoint},
        {u"workflow"_s, actual.workflow == expected.workflow},
        {u"startedAt"_s, actual.startedAt == expected.startedAt},
        {u"latencyMs"_s, actual.latencyMs == expected.latencyMs},
        {u"httpStatus"_s, actual.httpStatus == expected.httpStatus},
        {u"responseBytes"_s, actual.responseBytes == expected.responseBytes},
        {u"outcome"_s, actual.outcome == expected.outcome},
        {u"error"_s, actual.error == expected.error},
        {u"redirectTarget"_s, actual.redirectTarget == expected.redirectTarget},
        {u"modelUsed"_s, actual.modelUsed == expected.modelUsed},
        {u"agentLatencySeconds"_s, sameAgentLatency},
        {u"toolCallCount"_s, actual.toolCallCount == expected.toolCallCount},
        {u"toolNames"_s, actual.toolNames == expected.toolNames},
        {u"detail"_s, actual.detail == expected.detail},
        {u"traceId"_s, actual.traceId == expected.traceId},
        {u"spanId"_s, actual.spanId == expected.spanId},
        {u"body"_s, actual.body == expected.body.left(4096)},
    };
    QStringList differences;
    for (const auto& [name, same] : fields) {
        if (!same)
            differences.append(name);
    }
    return differences;
}
