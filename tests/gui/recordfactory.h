#pragma once

#include "agent/requestrecord.h"

#include <QDateTime>

// Builds the records the model tests feed in, with a fixed clock so texts are stable.
class RecordFactory
{
public:
    static QDateTime baseTime() { return QDateTime(QDate(2024, 5, 6), QTime(9, 30), Qt::UTC); }

    aimload::RequestRecord started(const QString& group, aimload::Model model,
        aimload::Endpoint endpoint = aimload::Endpoint::Chat)
    {
        using namespace Qt::StringLiterals;
        aimload::RequestRecord record;
        record.id = ++m_lastId;
        record.cycle = (m_lastId + 1) / 2;
        record.group = group;
        record.promptId = group + u"_prompt"_s;
        record.description = u"Prompt of "_s + group;
        record.message = u"Message for "_s + group;
        record.model = model;
        record.endpoint = endpoint;
        if (endpoint == aimload::Endpoint::Repair)
            record.workflow = u"minimal_single_tool"_s;
        record.startedAt = baseTime().addSecs(qint64(m_lastId) * 60);
        record.traceId
            = u"4bf92f3577b34da6a3ce929d0e0e%1"_s.arg(qulonglong(m_lastId), 4, 16, QChar(u'0'));
        record.spanId = u"00f067aa0ba9%1"_s.arg(qulonglong(m_lastId), 4, 16, QChar(u'0'));
        return record;
    }

    static aimload::RequestRecord finish(aimload::RequestRecord record, aimload::Outcome outcome,
        double latencyMs, const QString& error = {})
    {
        using namespace Qt::StringLiterals;
        record.outcome = outcome;
        record.latencyMs = latencyMs;
        record.error = error;
        record.httpStatus = outcome == aimload::Outcome::Ok
            ? 200
            : (outcome == aimload::Outcome::HttpError ? 500 : 0);
        record.responseBytes = outcome == aimload::Outcome::Ok ? 1536 : 0;
        record.body = outcome == aimload::Outcome::Ok ? R"({"response":"fine","tool_calls":[]})"_ba
                                                      : QByteArray();
        record.agentLatencySeconds = latencyMs / 1000.0 - 0.1;
        record.modelUsed = u"gpt-4o-mini"_s;
        return record;
    }

    aimload::RequestRecord finished(const QString& group, aimload::Model model,
        aimload::Outcome outcome, double latencyMs, const QString& error = {})
    {
        return finish(started(group, model), outcome, latencyMs, error);
    }

private:
    quint64 m_lastId = 0;
};
