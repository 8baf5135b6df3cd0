#include "report/requestcsvlog.h"

#include "report/atomicfilewriter.h"
#include "report/csvformat.h"
#include "report/reportlogging.h"

#include <QDir>

#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

RequestCsvLog::RequestCsvLog(QString partialPath)
    : m_file(std::move(partialPath))
{ }

RequestCsvLog::~RequestCsvLog() = default;

QStringList RequestCsvLog::header()
{
    return {u"time"_s, u"request_id"_s, u"cycle"_s, u"user"_s, u"triggered"_s, u"prompt_id"_s,
        u"group"_s, u"description"_s, u"message"_s, u"model"_s, u"endpoint"_s, u"workflow"_s,
        u"outcome"_s, u"http_status"_s, u"latency_ms"_s, u"response_bytes"_s,
        u"agent_latency_seconds"_s, u"model_used"_s, u"tool_call_count"_s, u"tool_names"_s,
        u"error"_s, u"detail"_s, u"redirect_target"_s, u"trace_id"_s, u"span_id"_s};
}

QStringList RequestCsvLog::cells(const RequestRecord& record)
{
    const QString time = record.startedAt.isValid()
        ? record.startedAt.toUTC().toString(Qt::ISODateWithMs)
        : QString();
    return {time, QString::number(record.id), QString::number(record.cycle),
        QString::number(record.user), record.triggered ? u"true"_s : u"false"_s,
        CsvFormat::text(record.promptId), CsvFormat::text(record.group),
        CsvFormat::text(record.description), CsvFormat::text(record.message),
        QString(modelLetter(record.model).toUpper()), endpointPath(record.endpoint),
        CsvFormat::text(record.workflow), outcomeName(record.outcome),
        QString::number(record.httpStatus), CsvFormat::number(record.latencyMs, 3),
        QString::number(record.responseBytes), CsvFormat::number(record.agentLatencySeconds, 3),
        CsvFormat::text(record.modelUsed), QString::number(record.toolCallCount),
        CsvFormat::text(record.toolNames.join(u';')), CsvFormat::text(record.error),
        CsvFormat::text(record.detail), CsvFormat::text(record.redirectTarget),
        CsvFormat::text(record.traceId), CsvFormat::text(record.spanId)};
}

bool RequestCsvLog::open(QString* error)
{
    m_rows = 0;
    m_failed = false;
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        if (error)
            *error = tr("Cannot write %1: %2")
                         .arg(QDir::toNativeSeparators(m_file.fileName()), m_file.errorString());
        return false;
    }
    const QByteArray line = CsvFormat::line(header()).toUtf8();
    if (m_file.write(line) != line.size() || !m_file.flush()) {
        if (error)
            *error = tr("Cannot write %1: %2")
                         .arg(QDir::toNativeSeparators(m_file.fileName()), m_file.errorString());
        m_file.close();
        return false;
    }
    return true;
}

bool RequestCsvLog::append(const RequestRecord& record)
{
    if (!m_file.isOpen() || m_failed)
        return false;

    const QByteArray line = CsvFormat::line(cells(record)).toUtf8();
    // Flushed per line: a request an hour is cheap, and a crash then loses none.
    if (m_file.write(line) != line.size() || !m_file.flush()) {
        m_failed = true;
        qCWarning(lcReport).noquote()
            << tr("Cannot write %1: %2; later requests are not logged there")
                   .arg(QDir::toNativeSeparators(m_file.fileName()), m_file.errorString());
        return false;
    }
    ++m_rows;
    return true;
}

bool RequestCsvLog::publish(const QString& finalPath, QString* error)
{
    if (m_file.isOpen())
        m_file.flush();
    QFile source(m_file.fileName());
    if (!source.open(QIODevice::ReadOnly)) {
        if (error)
            *error = tr("Cannot read %1: %2")
                         .arg(QDir::toNativeSeparators(source.fileName()), source.errorString());
        return false;
    }

    const auto copy = [&source](QIODevice& device, QString* reason) {
        while (!source.atEnd()) {
            const QByteArray chunk = source.read(1 << 16);
            if (chunk.isEmpty() && source.error() != QFile::NoError) {
                *reason
                    = tr("cannot read %1: %2")
                          .arg(QDir::toNativeSeparators(source.fileName()), source.errorString());
                return false;
            }
            if (device.write(chunk) != chunk.size())
                return false;
        }
        return true;
    };
    return AtomicFileWriter::write(finalPath, copy, error);
}

void RequestCsvLog::discard()
{
    if (m_file.fileName().isEmpty())
        return;
    m_file.close();
    m_file.remove();
}

} // namespace aimload
