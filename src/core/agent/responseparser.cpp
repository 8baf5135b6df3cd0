#include "agent/responseparser.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

QString missingField(const QString& name, const QString& type)
{
    return u"answer lacks the %1 field (%2)"_s.arg(name, type);
}

bool hasString(const QJsonObject& object, const QString& key)
{
    return object.value(key).isString();
}

void readCommon(const QJsonObject& object, RequestRecord& record)
{
    record.modelUsed = object.value(u"model_used").toString();
    const QJsonValue latency = object.value(u"latency_seconds");
    if (latency.isDouble())
        record.agentLatencySeconds = latency.toDouble();
}

void readToolCalls(const QJsonArray& calls, RequestRecord& record)
{
    record.toolCallCount = int(calls.size());
    record.toolNames.clear();
    for (const QJsonValue& call : calls)
        record.toolNames.append(call.toObject().value(u"tool_name").toString());
}

ResponseParser::Result checkChat(const QJsonObject& object)
{
    if (!hasString(object, u"response"_s))
        return {Outcome::InvalidResponse, missingField(u"response"_s, u"string"_s)};
    if (!hasString(object, u"model_used"_s))
        return {Outcome::InvalidResponse, missingField(u"model_used"_s, u"string"_s)};
    if (!object.value(u"latency_seconds").isDouble())
        return {Outcome::InvalidResponse, missingField(u"latency_seconds"_s, u"number"_s)};
    return {};
}

ResponseParser::Result checkRepair(const QJsonObject& object, RequestRecord& record)
{
    const QJsonValue success = object.value(u"success");
    if (!success.isBool())
        return {Outcome::InvalidResponse, missingField(u"success"_s, u"boolean"_s)};
    if (!object.value(u"actions_taken").isArray())
        return {Outcome::InvalidResponse, missingField(u"actions_taken"_s, u"list"_s)};
    if (!hasString(object, u"model_used"_s))
        return {Outcome::InvalidResponse, missingField(u"model_used"_s, u"string"_s)};
    const QJsonValue calls = object.value(u"tool_calls");
    if (!calls.isArray() && !calls.isNull() && !calls.isUndefined())
        return {Outcome::InvalidResponse, missingField(u"tool_calls"_s, u"list"_s)};

    readToolCalls(calls.toArray(), record);
    if (!success.toBool()) {
        const QString status = object.value(u"final_status").toString();
        return {Outcome::AgentFailure,
            status.isEmpty() ? u"agent reported success: false"_s
                             : u"agent reported success: false (%1)"_s.arg(status)};
    }
    return {};
}

QString compactJson(const QJsonDocument& document)
{
    return QString::fromUtf8(document.toJson(QJsonDocument::Compact));
}

} // namespace

ResponseParser::Result ResponseParser::parseSuccess(const QByteArray& body, RequestRecord& record)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return {Outcome::InvalidResponse,
            body.isEmpty() ? u"empty answer"_s
                           : u"answer is not JSON (%1 at byte %2)"_s.arg(
                               parseError.errorString(), QString::number(parseError.offset))};
    }
    if (!document.isObject())
        return {Outcome::InvalidResponse, u"answer is JSON but not an object"_s};

    const QJsonObject object = document.object();
    readCommon(object, record);
    return record.endpoint == Endpoint::Chat ? checkChat(object) : checkRepair(object, record);
}

void ResponseParser::parseErrorDetail(const QByteArray& body, RequestRecord& record)
{
    const QJsonDocument document = QJsonDocument::fromJson(body);
    const QJsonValue value = document.object().value(u"detail");
    QString detail;
    if (value.isString())
        detail = value.toString();
    else if (value.isArray())
        detail = compactJson(QJsonDocument(value.toArray()));
    else if (value.isObject())
        detail = compactJson(QJsonDocument(value.toObject()));
    else
        detail = QString::fromUtf8(body.left(4 * DetailLimit)).simplified();
    qsizetype length = std::min<qsizetype>(detail.size(), DetailLimit);
    // Never cut an emoji or other surrogate pair in half.
    if (length > 0 && length < detail.size() && detail.at(length - 1).isHighSurrogate())
        --length;
    record.detail = detail.left(length);
}

} // namespace aimload
