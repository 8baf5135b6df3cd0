#pragma once

#include "report/reporttypes.h"

#include <QCoreApplication>
#include <QObject>
#include <QString>
#include <QStringList>

namespace aimload {

class LoadEngine;
class ReportRecorder;

// Where a run's reports go: --csv PREFIX, --html FILE, --json FILE. Empty: not wanted.
struct ReportTargets
{
    QString csvPrefix;
    QString htmlFile;
    QString jsonFile;

    bool isEmpty() const { return csvPrefix.isEmpty() && htmlFile.isEmpty() && jsonFile.isEmpty(); }
};

// The reports a run was asked for: a recorder that follows the run, and the writers.
// prepare() checks every target's directory before the run starts, so a mistyped path
// fails at once rather than after a week; write() writes them all.
class RunReports : public QObject
{
    Q_OBJECT

public:
    explicit RunReports(ReportTargets targets, QObject* parent = nullptr);
    ~RunReports() override;

    // Checks the directories and opens the CSV request log; on failure returns false with a
    // one-line reason naming the file.
    bool prepare(QString* error);
    // Sets the run info and follows the engine (ReportRecorder::attach()).
    void attach(LoadEngine* engine, const ReportRunInfo& info);

    const ReportTargets& targets() const { return m_targets; }
    ReportRecorder* recorder() const { return m_recorder; }

    // Writes every report asked for; on failure returns false with one line per file that
    // could not be written in *errors. With final set, the run is marked finished first
    // (a no-op when the engine already said so) and the requests CSV's side file is deleted
    // once PREFIX_requests.csv is written. Returns the files written in *written.
    bool write(bool final, QStringList* errors, QStringList* written = nullptr);

private:
    ReportTargets m_targets;
    ReportRecorder* m_recorder = nullptr;
};

} // namespace aimload
