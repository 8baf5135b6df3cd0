#include "config/duration.h"

#include <QTest>

#include <cmath>
#include <random>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using aimload::formatDuration;
using aimload::formatSeconds;
using aimload::parseDuration;

class TestDuration : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parses_data();
    void parses();
    void rejects_data();
    void rejects();
    void formats_data();
    void formats();
    void roundTrips_data();
    void roundTrips();
    void roundTripsRandomValues();
    void formatsSeconds_data();
    void formatsSeconds();
};

void TestDuration::parses_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("milliseconds");

    QTest::newRow("bareSeconds") << u"720"_s << qint64(720'000);
    QTest::newRow("fractionalSeconds") << u"12.5"_s << qint64(12'500);
    QTest::newRow("leadingDotSeconds") << u".5"_s << qint64(500);
    QTest::newRow("zero") << u"0"_s << qint64(0);
    QTest::newRow("milliseconds") << u"500ms"_s << qint64(500);
    QTest::newRow("seconds") << u"90s"_s << qint64(90'000);
    QTest::newRow("minutes") << u"12m"_s << qint64(720'000);
    QTest::newRow("hours") << u"2h"_s << qint64(7'200'000);
    QTest::newRow("hoursMinutes") << u"1h30m"_s << qint64(5'400'000);
    QTest::newRow("days") << u"2d"_s << qint64(172'800'000);
    QTest::newRow("hoursMinutesSeconds") << u"1h30m15s"_s << qint64(5'415'000);
    QTest::newRow("everyUnit") << u"1d2h3m4s5ms"_s << qint64(93'784'005);
    QTest::newRow("minutesMilliseconds") << u"1m500ms"_s << qint64(60'500);
    QTest::newRow("fractionalMinutes") << u"1.5m"_s << qint64(90'000);
    QTest::newRow("leadingTrailingSpace") << u"  12m \t"_s << qint64(720'000);
    QTest::newRow("newlineAround") << u"\n90s\n"_s << qint64(90'000);
    QTest::newRow("upperCase") << u"1H30M"_s << qint64(5'400'000);
    QTest::newRow("upperCaseMs") << u"500MS"_s << qint64(500);
    QTest::newRow("mixedCase") << u"2D"_s << qint64(172'800'000);
}

void TestDuration::parses()
{
    QFETCH(QString, text);
    QFETCH(qint64, milliseconds);

    const auto duration = parseDuration(text);

    QVERIFY2(duration.has_value(), qPrintable(u"'%1' was refused"_s.arg(text)));
    QCOMPARE(duration->count(), milliseconds);
}

void TestDuration::rejects_data()
{
    QTest::addColumn<QString>("text");

    QTest::newRow("empty") << QString();
    QTest::newRow("onlySpace") << u"   "_s;
    QTest::newRow("hex") << u"0x10"_s;
    QTest::newRow("negative") << u"-5"_s;
    QTest::newRow("negativeWithUnit") << u"-5m"_s;
    QTest::newRow("plusSign") << u"+5"_s;
    QTest::newRow("unknownUnit") << u"12x"_s;
    QTest::newRow("bareNumberAfterUnit") << u"1h30"_s;
    QTest::newRow("bareNumberAfterTwoUnits") << u"1h30m15"_s;
    QTest::newRow("unitAlone") << u"m"_s;
    QTest::newRow("twoDots") << u"1..5"_s;
    QTest::newRow("trailingDot") << u"5."_s;
    QTest::newRow("exponent") << u"1e3"_s;
    QTest::newRow("spelledUnit") << u"5min"_s;
    QTest::newRow("word") << u"soon"_s;
    QTest::newRow("unitBeforeNumber") << u"m5"_s;
    QTest::newRow("comma") << u"1,5"_s;
    QTest::newRow("tooLarge") << u"99999999999999999999d"_s;
}

void TestDuration::rejects()
{
    QFETCH(QString, text);

    const auto duration = parseDuration(text);

    QVERIFY2(!duration.has_value(),
        qPrintable(u"'%1' was read as %2 ms"_s.arg(text).arg(duration ? duration->count() : 0)));
}

void TestDuration::formats_data()
{
    QTest::addColumn<qint64>("milliseconds");
    QTest::addColumn<QString>("text");

    QTest::newRow("zero") << qint64(0) << u"0s"_s;
    QTest::newRow("milliseconds") << qint64(500) << u"500ms"_s;
    QTest::newRow("oneSecond") << qint64(1000) << u"1s"_s;
    QTest::newRow("fractionalSeconds") << qint64(2500) << u"2.5s"_s;
    QTest::newRow("justUnderAMinute") << qint64(59'999) << u"59.999s"_s;
    QTest::newRow("minutes") << qint64(720'000) << u"12m"_s;
    QTest::newRow("minutesSeconds") << qint64(90'000) << u"1m30s"_s;
    QTest::newRow("hoursMinutes") << qint64(5'400'000) << u"1h30m"_s;
    QTest::newRow("days") << qint64(172'800'000) << u"2d"_s;
    QTest::newRow("everyUnit") << qint64(93'784'005) << u"1d2h3m4s5ms"_s;
    QTest::newRow("minuteAndMilliseconds") << qint64(60'500) << u"1m500ms"_s;
}

void TestDuration::formats()
{
    QFETCH(qint64, milliseconds);
    QFETCH(QString, text);

    QCOMPARE(formatDuration(std::chrono::milliseconds(milliseconds)), text);
}

void TestDuration::roundTrips_data()
{
    QTest::addColumn<qint64>("milliseconds");

    const qint64 values[] = {0, 1, 7, 999, 1000, 1001, 1500, 12'500, 59'000, 59'999, 60'000, 60'001,
        61'500, 90'000, 719'999, 720'000, 3'599'999, 3'600'000, 5'400'000, 5'415'000, 86'399'999,
        86'400'000, 86'400'001, 172'800'000, 31'536'000'000, 3'153'600'000'123};
    for (const qint64 value : values)
        QTest::addRow("ms%lld", value) << value;
}

void TestDuration::roundTrips()
{
    QFETCH(qint64, milliseconds);

    const QString text = formatDuration(std::chrono::milliseconds(milliseconds));
    const auto parsed = parseDuration(text);

    QVERIFY2(parsed.has_value(), qPrintable(u"'%1' was refused"_s.arg(text)));
    QCOMPARE(parsed->count(), milliseconds);
}

void TestDuration::roundTripsRandomValues()
{
    std::mt19937_64 generator(20240612);
    // Spread over every magnitude from milliseconds to years.
    std::uniform_int_distribution<int> digits(1, 11);
    for (int i = 0; i < 5000; ++i) {
        std::uniform_int_distribution<qint64> value(0, qint64(std::pow(10.0, digits(generator))));
        const qint64 milliseconds = value(generator);
        const QString text = formatDuration(std::chrono::milliseconds(milliseconds));
        const auto parsed = parseDuration(text);
        QVERIFY2(parsed.has_value(), qPrintable(u"'%1' was refused"_s.arg(text)));
        QCOMPARE(parsed->count(), milliseconds);
    }
}

void TestDuration::formatsSeconds_data()
{
    QTest::addColumn<double>("seconds");
    QTest::addColumn<QString>("text");

    QTest::newRow("zero") << 0.0 << u"0.0s"_s;
    QTest::newRow("oneDecimal") << 8.2 << u"8.2s"_s;
    QTest::newRow("roundsDown") << 12.34 << u"12.3s"_s;
    QTest::newRow("roundsUp") << 12.36 << u"12.4s"_s;
    QTest::newRow("whole") << 660.0 << u"660.0s"_s;
    QTest::newRow("subSecond") << 0.04 << u"0.0s"_s;
}

void TestDuration::formatsSeconds()
{
    QFETCH(double, seconds);
    QFETCH(QString, text);

    QCOMPARE(formatSeconds(seconds), text);
}

QTEST_GUILESS_MAIN(TestDuration)
#include "tst_duration.moc"
