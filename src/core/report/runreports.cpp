#include "report/runreports.h"

#include "report/csvreport.h"
#include "report/htmlreport.h"
#include "report/jsonreport.h"
#include "report/reportrecorder.h"

#include <QDir>
#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

// Whether a file could be created at path: its directory exists and is writable.
bool checkDirectory(const QString& path, QString* error)
{
    const QFileInfo directory(QFileInfo(path).absolutePath());
    if (directory.isDir() && directory.isWritable())
        return true;
    if (error) {
        const QString reason = !directory.exists() ? RunReports::tr("no directory %1")
            : !directory.isDir()                   ? RunReports::tr("%1 is not a directory")
                                                   : RunReports::tr("%1 is not writable");
        *error = RunReports::tr("Cannot write %1: %2")
                     .arg(QDir::toNativeSeparators(path),
                         reason.arg(QDir::toNativeSeparators(directory.filePath())));
    }
    return false;
}

} // namespace

RunReports::RunReports(ReportTargets targets, QObject* parent)
    : QObject(parent)
    , m_targets(std::move(targets))
    , m_recorder(new ReportRecorder(this))
{ }

RunReports::~RunReports() = default;

bool RunReports::prepare(QString* error)
{
    const QStringList files {
        m_targets.csvPrefix.isEmpty() ? QString() : CsvReport::statsPath(m_targets.csvPrefix),
        m_targets.htmlFile, m_targets.jsonFile};
    for (const QString& file : files) {
        if (!file.isEmpty() && !checkDirectory(file, error))
            return false;
    }
    if (m_targets.csvPrefix.isEmpty())
        return true;
    return m_recorder->openRequestLog(CsvReport::requestsPartialPath(m_targets.csvPrefix), error);
}

void RunReports::attach(LoadEngine* engine, const ReportRunInfo& info)
{
    m_recorder->setRunInfo(info);
    m_recorder->attach(engine);
}

bool RunReports::write(bool final, QStringList* errors, QStringList* written)
{
    if (final)
        m_recorder->finishRun(u"stopped"_s);

    bool ok = true;
    const auto record
        = [&ok, errors, written](bool done, const QString& error, const QStringList& files) {
              if (done && written)
                  *written += files;
              if (!done && errors)
                  errors->append(error);
              ok = ok && done;
              return done;
          };

    QString error;
    const QString prefix = m_targets.csvPrefix;
    if (!prefix.isEmpty()) {
        QStringList files {CsvReport::statsPath(prefix), CsvReport::failuresPath(prefix),
            CsvReport::historyPath(prefix)};
        if (m_recorder->requestLog())
            files.append(CsvReport::requestsPath(prefix));
        if (record(CsvReport::write(prefix, *m_recorder, &error), error, files) && final
            && m_recorder->requestLog())
            m_recorder->discardRequestLog();
    }
    if (!m_targets.htmlFile.isEmpty()) {
        record(HtmlReport::write(m_targets.htmlFile, *m_recorder, &error), error,
            {m_targets.htmlFile});
    }
    if (!m_targets.jsonFile.isEmpty()) {
        record(JsonReport::write(m_targets.jsonFile, *m_recorder, &error), error,
            {m_targets.jsonFile});
    }
    return ok;
}

} // namespace aimload
