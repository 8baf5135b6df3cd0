// Renders the real window offscreen after a short run against the simulated agent and
// saves one PNG per page, for the README:
//
//   aimload_screenshots OUTPUT_DIR
//
// The run uses a fixed seed, a temporary settings file and the offscreen platform, so it
// needs no display and leaves the user's settings alone.

#include "appsettings.h"
#include "chartspage.h"
#include "launchoptions.h"
#include "mainwindow.h"
#include "models/chartdata.h"
#include "models/requesttablemodel.h"
#include "requestspage.h"
#include "settingsdialog.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QStyleFactory>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace {

constexpr int RunSeconds = 20;

void wait(int milliseconds)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < milliseconds) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        QThread::msleep(5);
    }
}

bool save(QWidget* widget, const QString& directory, const QString& name)
{
    const QString path = QDir(directory).filePath(name + u".png"_s);
    if (!widget->grab().save(path)) {
        std::fprintf(stderr, "cannot write %s\n", qPrintable(path));
        return false;
    }
    std::printf("wrote %s\n", qPrintable(path));
    return true;
}

// A /repair answer shows the most in the detail pane: tool calls and a full JSON body.
void selectFinishedRepair(aimload::MainWindow& window)
{
    const aimload::RequestTableModel* requests = window.requestModel();
    int chosen = 0;
    for (int row = 0; row < requests->rowCount(); ++row) {
        const aimload::RequestRecord& record = requests->rowAt(row);
        if (record.outcome == aimload::Outcome::Ok
            && record.endpoint == aimload::Endpoint::Repair) {
            chosen = row;
            break;
        }
    }
    auto* page = window.findChild<aimload::RequestsPage*>();
    page->selectRow(chosen);
    page->findChild<QWidget*>(u"requestsView"_s)->setFocus();
}

QPalette darkPalette()
{
    QPalette palette;
    palette.setColor(QPalette::Window, QColor(0x2b, 0x2d, 0x31));
    palette.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    palette.setColor(QPalette::Base, QColor(0x1f, 0x21, 0x24));
    palette.setColor(QPalette::AlternateBase, QColor(0x27, 0x29, 0x2d));
    palette.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
    palette.setColor(QPalette::Button, QColor(0x35, 0x37, 0x3c));
    palette.setColor(QPalette::ButtonText, QColor(0xe6, 0xe6, 0xe6));
    palette.setColor(QPalette::Highlight, QColor(0x3d, 0x7a, 0xc4));
    palette.setColor(QPalette::HighlightedText, Qt::white);
    palette.setColor(QPalette::ToolTipBase, QColor(0x35, 0x37, 0x3c));
    palette.setColor(QPalette::ToolTipText, QColor(0xe6, 0xe6, 0xe6));
    palette.setColor(QPalette::Mid, QColor(0x60, 0x63, 0x68));
    palette.setColor(QPalette::PlaceholderText, QColor(0x9a, 0x9d, 0xa3));
    for (const auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        palette.setColor(QPalette::Disabled, role, QColor(0x7a, 0x7d, 0x83));
    return palette;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: aimload_screenshots OUTPUT_DIR\n");
        return 2;
    }
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setStyle(QStyleFactory::create(u"Fusion"_s));
    const QString output = QString::fromLocal8Bit(argv[1]);
    QDir().mkpath(output);

    QTemporaryDir home;
    aimload::AppSettings settings(home.filePath(u"aimload.ini"_s));
    const QStringList arguments {u"aimload"_s, u"--simulate"_s, u"--sim-speed"_s, u"400"_s,
        u"--sim-failure-rate"_s, u"0.08"_s, u"--pacing"_s, u"1s"_s, u"--users"_s, u"3"_s,
        u"--seed"_s, u"7"_s, u"--no-db"_s};
    const auto parsed = aimload::OptionsParser::parse(arguments, QProcessEnvironment());
    aimload::MainWindow window(&settings,
        aimload::LaunchOptions::fromCommandLine(arguments, QProcessEnvironment(), parsed.options));
    window.resize(1440, 900);
    window.show();

    window.findChild<QAction*>(u"actionStart"_s)->trigger();
    wait(RunSeconds * 1000);
    // A trigger while cycles run shows the refusal banner in the screenshots.
    window.findChild<QAction*>(u"actionTriggerNow"_s)->trigger();

    auto* pages = window.findChild<QTabWidget*>(u"pages"_s);
    const QStringList names {
        u"requests"_s, u"statistics"_s, u"comparison"_s, u"charts"_s, u"failures"_s, u"log"_s};
    bool ok = true;
    for (int page = 0; page < pages->count(); ++page) {
        pages->setCurrentIndex(page);
        window.flushViews();
        if (page == 0)
            selectFinishedRepair(window);
        if (page == 3)
            window.findChild<aimload::ChartsPage*>()->setRange(aimload::ChartRange::All);
        wait(300);
        ok = save(&window, output, names.at(page)) && ok;
    }

    window.showSettings();
    wait(300);
    ok = save(window.settingsDialog(), output, u"settings"_s) && ok;
    window.settingsDialog()->reject();

    QApplication::setPalette(darkPalette());
    pages->setCurrentIndex(2);
    window.flushViews();
    wait(300);
    ok = save(&window, output, u"comparison-dark"_s) && ok;
    pages->setCurrentIndex(3);
    window.flushViews();
    wait(300);
    ok = save(&window, output, u"charts-dark"_s) && ok;

    window.close();
    return ok ? 0 : 1;
}
