#include "discovery/lexicon.h"

namespace wfs::discovery {
namespace {

// Correctly spelled English words that people use when they ask an
// assistant for something: work and home life, money, mail, calendars,
// documents, code and operations, time. Plain, lower-case, separated by
// spaces; the Analyzer stems them like any other word. The list is general
// on purpose: it is not drawn from any catalog's text, and adding a word only
// stops the index from treating it as a misspelling of another word.
constexpr const char* kWords[] = {
    // Verbs.
    "accept access act activate add adjust admit advise agree alert allow "
    "analyze analyse announce answer apologize appeal append apply approve "
    "argue arrange arrive ask assemble assess assign assist attach attend "
    "audit authorize automate avoid back backup bake ban bid bill bind block "
    "boil book borrow bounce break bring browse build burn buy calculate call "
    "cancel capture carry catch change charge chat check choose cite claim "
    "clean clear click climb clone close collect combine come comment commit "
    "compare compile complain complete compose compress compute confirm "
    "connect consider consult contact contain continue contribute control "
    "convert cook copy correct count cover crash create crop cut debug "
    "decide declare decline decode decrypt deduct defer define delay delegate "
    "delete deliver demand deny deploy deposit describe design destroy detect "
    "dial dictate disable disconnect discover discuss dismiss display divide "
    "donate download drag draw dream dress drink drive drop dump earn edit "
    "eject email embed enable encode encrypt end enroll enter erase escalate "
    "estimate evaluate examine exchange execute exit expand expect expire "
    "explain export extend extract fail fax feed fetch file fill filter find "
    "finish fire fix flag flip fly focus fold follow forget forgive format "
    "forward freeze gather generate give grant greet grow guess handle hang "
    "hear hide highlight hire hold host ignore import improve include invest "
    "join jump keep kick kill knit know land launch learn lease leave lend "
    "lift limit link list listen load loan locate lock log login logout look "
    "lose mail maintain manage map match measure meet mention merge migrate "
    "mind miss monitor mount move mute name negotiate notify obtain offer "
    "open order organize own pack paint park parse pass paste patch pause pay "
    "perform pick pin place plan plant play plug point poll polish post "
    "postpone pour predict prefer prepare present preview print prioritize "
    "proceed process produce promote propose protect provide publish pull "
    "purchase push put query queue quit quote raise rank rate reach read "
    "rebase reboot recall receive recommend reconcile record recover recycle "
    "redeem redirect redo reduce refer refresh refund register reimburse "
    "reject relate release reload remember remind remove rename renew rent "
    "reopen reorder repair repeat rephrase replace reply report request "
    "require reschedule research reserve reset resign resize resolve respond "
    "rest restart restore resume retire retrieve return reveal revert review "
    "revise revoke rewrite ride ring roll rotate run save scan schedule score "
    "scroll seal search see select sell send separate serve set settle sew "
    "share ship shop show shred shut sign sing skip sleep snooze solve sort "
    "speak split spend split stack stage star start stay steal stop store "
    "stream study submit subscribe subtract suggest summarize supply support "
    "suspend swap switch sync take talk teach tell test text thank throw "
    "tidy toggle track trade train transcribe transfer translate travel "
    "trigger trim trust try turn tweet type undo uninstall unlock unmute "
    "unpin unsubscribe update upgrade upload validate verify view visit vote "
    "wait wake walk want warn wash watch water wear welcome win wipe withdraw "
    "work wrap write zip",
    // Work, documents and money.
    "account agenda agreement allowance amount annual application "
    "appointment appraisal approval archive asset attachment audit author "
    "balance bank benefit bid bonus booking brief brochure budget business "
    "calendar campaign candidate card career case cash catalog certificate "
    "chapter chart cheque check claim client clause company complaint "
    "conference contract copy cost coupon course credit currency customer "
    "deadline deal debit debt decision deck deduction deposit description "
    "diploma discount dividend document donation draft due earnings estimate "
    "event expense fee feedback figure finance fine fiscal form fund goal "
    "grant guarantee headline income installment insurance interest interview "
    "inventory investment invoice item job journal lease ledger letter "
    "license limit loan margin market meeting memo minutes mortgage newsletter "
    "notice offer office order outline overdraft paper payroll pension "
    "permit pitch plan policy portfolio position premium presentation price "
    "profit project proposal purchase quarter quota quote rate receipt record "
    "refund register reimbursement renewal rent report request resume "
    "revenue reward risk salary sale sales savings schedule section share "
    "signature slide spreadsheet statement stock strategy subscription "
    "summary supplier survey target task tax template tender term ticket "
    "timesheet total transaction tuition vacancy value vendor voucher wage "
    "warranty",
    // People.
    "accountant admin adult agent assistant aunt author baby boss boyfriend "
    "brother buyer candidate captain cashier child chef coach colleague "
    "consultant contractor cousin coworker customer dad daughter dentist "
    "designer developer director doctor driver editor employee employer "
    "engineer family father friend girlfriend grandfather grandmother guest "
    "husband intern investor kid landlord lawyer lead manager member mentor "
    "mom mother neighbor neighbour nurse owner parent partner patient "
    "plumber president professor recruiter relative reviewer roommate seller "
    "sister son spouse staff student supervisor teacher team tenant tutor "
    "uncle user vendor visitor wife",
    // Things, places, technology.
    "address airline airport album alarm alias app appliance apartment "
    "article backup bag battery bike bill blog board book bookmark bottle box "
    "browser bucket bug building bus button cable cafe camera car cart "
    "certificate channel chat city class clipboard clock cloud cluster code "
    "command computer config console container cookie country cpu database "
    "dashboard device diary diff directory disk dns doc docker domain door "
    "drive driver email engine error feature feed file firewall flight folder "
    "font forum game garden gift group guitar hardware home hotel house icon "
    "image inbox internet kernel key keyboard kitchen lamp laptop library "
    "light log login machine map menu meter microphone mobile model monitor "
    "mouse movie music network node notebook notification package page "
    "password path phone photo picture pipeline pixel playlist plugin podcast "
    "port printer process profile program queue radio recipe reminder "
    "restaurant road room router script screen screenshot server service "
    "setting shell site slot software song source speaker stack station "
    "storage store street switch system table tablet tag terminal thread "
    "token tool train tweet username video volume wallet website window "
    "workspace",
    // Time, quantity and description.
    "afternoon april august daily date day december early evening february "
    "friday hour january july june late later march may midnight minute "
    "monday month monthly morning night noon november october quarterly "
    "recent recurring saturday second september soon sunday thursday today "
    "tomorrow tonight tuesday wednesday week weekday weekend weekly year "
    "yearly yesterday active available big broken busy cheap clean complete "
    "confidential correct current dark different duplicate empty entire "
    "expensive external failed free full good great heavy high important "
    "internal large last latest light little local long low main many missing "
    "new next old open overdue paid pending personal private public quick "
    "ready real right secret secure several short similar single slow small "
    "spare special urgent useful wrong",
};

}  // namespace

std::vector<std::string> DefaultLexicon() {
  std::vector<std::string> out;
  for (const char* chunk : kWords) {
    const char* p = chunk;
    while (*p != '\0') {
      while (*p == ' ') ++p;
      const char* start = p;
      while (*p != '\0' && *p != ' ') ++p;
      if (p > start) out.emplace_back(start, p);
    }
  }
  return out;
}

}  // namespace wfs::discovery
