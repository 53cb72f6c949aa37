// Unit tests of the mail connector's parsers (no server): IMAP responses
// with literals, mailbox-name encoding, MIME text, dates, composing.
#include <gtest/gtest.h>

#include "connectors/mail/imap_parse.h"
#include "connectors/mail/mime.h"

namespace wfs::connectors::mail {
namespace {

TEST(ImapParse, FetchWithLiteralsAndStatus) {
  std::string t =
      "* OK [CAPABILITY IMAP4rev1 MOVE] hi\r\n"
      "A001 OK Logged in\r\n"
      "* 2 FETCH (UID 7 FLAGS (\\Seen $Work) X-GUID abc.1,S=3 "
      "BODY[HEADER.FIELDS (SUBJECT)] {14}\r\nSubject: x\r\n\r\n)\r\n"
      "* 3 FETCH (UID 9 BODY[] {21}\r\nA002 OK fake\r\nhello\r\n)\r\n"
      "A002 OK [READ-WRITE] done\r\n";
  auto r = ParseImapTranscript(t);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, "OK");
  EXPECT_EQ(r->text, "done");
  ASSERT_EQ(r->fetches.size(), 2u);
  EXPECT_EQ(r->fetches[0].Uid(), 7u);
  EXPECT_EQ(r->fetches[0].Find("X-GUID")->Str(), "abc.1,S=3");
  EXPECT_EQ(r->fetches[0].Find("FLAGS")->items.size(), 2u);
  EXPECT_EQ(r->fetches[0].Find("BODY[HEADER.FIELDS (SUBJECT)]")->Str(),
            "Subject: x\r\n\r\n");
  // A line inside a literal is content, never a response.
  EXPECT_EQ(r->fetches[1].Find("BODY[]")->Str(), "A002 OK fake\r\nhello\r\n");
}

TEST(ImapParse, ALiteralCutShortIsAnError) {
  // What libcurl hands over when a message line posed as the tagged end.
  std::string t = "* 3 FETCH (UID 9 BODY[] {200}\r\nA002 OK fake\r\n";
  EXPECT_FALSE(ParseImapTranscript(t).ok());
  EXPECT_FALSE(ParseImapTranscript("* 1 FETCH (UID 1\r\n").ok());
  EXPECT_FALSE(ParseImapTranscript("garbage line\r\n").ok());
}

TEST(ImapParse, SearchListCopyuidAndCodes) {
  auto r = ParseImapTranscript(
      "* SEARCH 3 5 8\r\n"
      "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n"
      "* LIST (\\Noselect) \"/\" \"A &AOQ-b\"\r\n"
      "* OK [UIDVALIDITY 42] ok\r\n* 4 EXISTS\r\n"
      "A9 OK [COPYUID 42 5 17] Moved\r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->search, (std::vector<uint32_t>{3, 5, 8}));
  ASSERT_EQ(r->mailboxes.size(), 2u);
  EXPECT_EQ(DecodeMailboxName(r->mailboxes[1].name),
            "A \xc3\xa4"
            "b");
  EXPECT_EQ(r->uidvalidity, 42u);
  EXPECT_EQ(r->exists, 4);
  EXPECT_EQ(r->copyuid, "42 5 17");
  auto no = ParseImapTranscript("A3 NO [TRYCREATE] Mailbox doesn't exist\r\n");
  ASSERT_TRUE(no.ok());
  EXPECT_EQ(no->status, "NO");
  EXPECT_EQ(no->code, "TRYCREATE");
}

TEST(ImapParse, QuotingAndMailboxNames) {
  EXPECT_EQ(*ImapQuote("a \"b\" \\c"), "\"a \\\"b\\\" \\\\c\"");
  EXPECT_FALSE(ImapQuote("a\r\nA1 LOGOUT").ok());
  EXPECT_EQ(EncodeMailboxName("Entw\xc3\xbc"
                              "rfe & Co"),
            "Entw&APw-rfe &- Co");
  EXPECT_EQ(DecodeMailboxName("Entw&APw-rfe &- Co"),
            "Entw\xc3\xbc"
            "rfe & Co");
  EXPECT_EQ(UidSet({1, 2, 3, 7, 9, 10}), "1:3,7,9:10");
}

TEST(Mime, TextOfMultipartQuotedPrintableLatin1) {
  std::string raw =
      "Subject: x\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
      "preamble\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
      "--b1\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
      "caf=E9 au lait, a long line that is =\r\nsoft-broken\r\n"
      "--b1\r\nContent-Disposition: attachment\r\nContent-Type: "
      "text/plain\r\n\r\n"
      "not this\r\n--b1--\r\n";
  EXPECT_EQ(MessageText(raw),
            "caf\xc3\xa9 au lait, a long line that is soft-broken");
  EXPECT_EQ(MessageText("Content-Transfer-Encoding: base64\r\n\r\naGkK\r\n"),
            "hi");
  EXPECT_EQ(MessageText("Content-Type: text/html\r\n\r\n<b>x</b>\r\n"),
            "<b>x</b>");
}

TEST(Mime, HeaderWordsAndDates) {
  EXPECT_EQ(DecodeHeaderWords("=?UTF-8?Q?caf=C3=A9?= =?utf-8?B?IQ==?= now"),
            "caf\xc3\xa9! now");
  EXPECT_EQ(*Rfc5322DateToRfc3339("Tue, 2 Jan 2024 03:04:05 +0100"),
            "2024-01-02T02:04:05Z");
  EXPECT_EQ(*Rfc5322DateToRfc3339("02 Jan 2024 03:04 GMT"),
            "2024-01-02T03:04:00Z");
  EXPECT_FALSE(Rfc5322DateToRfc3339("yesterday").ok());
}

TEST(Mime, ComposeRefusesHeaderInjection) {
  OutgoingMessage m;
  m.from = "me@example.test";
  m.to = {"a@example.test"};
  m.subject = "Hi";
  m.body = "x";
  m.message_id = "id@x";
  EXPECT_TRUE(ComposeMessage(m).ok());
  m.subject = "Hi\r\nBcc: evil@example.test";
  EXPECT_FALSE(ComposeMessage(m).ok());
  m.subject = "Hi";
  m.to = {"a@example.test>\r\nRCPT TO:<evil@example.test"};
  EXPECT_FALSE(ComposeMessage(m).ok());
  m.to = {"Ann <a@example.test>"};
  EXPECT_FALSE(ComposeMessage(m).ok());
  m.to = {"a@example.test"};
  m.subject =
      "Gr\xc3\xbc\xc3\x9f"
      "e";
  auto text = ComposeMessage(m);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_EQ(DecodeHeaderWords("=?UTF-8?B?R3LDvMOfZQ==?="), m.subject);
}

}  // namespace
}  // namespace wfs::connectors::mail
