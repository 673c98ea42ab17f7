package chunk

import (
	"slices"
	"testing"
)

func TestSentences(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", nil},
		{"only space", " \n\r\n\t\u00a0 ", nil},
		{"no punctuation", "no punctuation at all just words", []string{"no punctuation at all just words"}},
		{"simple", "One sentence. Another one! A third? Yes.", []string{"One sentence.", "Another one!", "A third?", "Yes."}},
		{"surrounding space", "  \n First.   Second.  \n ", []string{"First.", "Second."}},

		// Titles and abbreviations.
		{"titles", "Mr. Smith met Mrs. Jones and Dr. Brown. Gen. Mattis and Sen. Warner came too.",
			[]string{"Mr. Smith met Mrs. Jones and Dr. Brown.", "Gen. Mattis and Sen. Warner came too."}},
		{"title before starter word", "Ms. A won.", []string{"Ms. A won."}},
		{"US then lower case", "U.S. officials said. Then they left.", []string{"U.S. officials said.", "Then they left."}},
		{"US at sentence end", "He moved to the U.S. He likes it there.", []string{"He moved to the U.S.", "He likes it there."}},
		{"US before proper noun", "The U.S. Senate voted on Tuesday.", []string{"The U.S. Senate voted on Tuesday."}},
		{"UK and UN", "The U.K. and the U.N. agreed. The E.U. did not.", []string{"The U.K. and the U.N. agreed.", "The E.U. did not."}},
		{"Inc before name", "Apple Inc. Chief Executive Tim Cook spoke.", []string{"Apple Inc. Chief Executive Tim Cook spoke."}},
		{"Inc at sentence end", "He joined Apple Inc. The firm was pleased.", []string{"He joined Apple Inc.", "The firm was pleased."}},
		{"Corp lower case", "Microsoft Corp. said sales rose.", []string{"Microsoft Corp. said sales rose."}},
		{"eg ie", "Use a language, e.g. Python, i.e. a simple one. Then stop.",
			[]string{"Use a language, e.g. Python, i.e. a simple one.", "Then stop."}},
		{"eg before capital", "Some firms, e.g. Google, grew.", []string{"Some firms, e.g. Google, grew."}},
		{"vs", "It was Celtic vs. Rangers. The match ended 2-1.", []string{"It was Celtic vs. Rangers.", "The match ended 2-1."}},
		{"etc at end", "Apples, pears, etc. The list goes on.", []string{"Apples, pears, etc.", "The list goes on."}},
		{"etc lower case", "Apples, pears, etc. and more.", []string{"Apples, pears, etc. and more."}},
		{"St street and saint", "He lives on Main St. in St. Louis. St. Paul is near.",
			[]string{"He lives on Main St. in St. Louis.", "St. Paul is near."}},
		{"Jr at end", "Martin Luther King Jr. He was a leader.", []string{"Martin Luther King Jr.", "He was a leader."}},
		{"state", "He was born in Calif. He moved to Fla. Gov. Bush met him.",
			[]string{"He was born in Calif.", "He moved to Fla. Gov. Bush met him."}},
		{"No before number", "He lives at No. 10 Downing Street. It is big.", []string{"He lives at No. 10 Downing Street.", "It is big."}},
		{"no the word", "He said no. The end.", []string{"He said no.", "The end."}},
		{"No the word", "He said: No. Then he left.", []string{"He said: No.", "Then he left."}},
		{"page", "See p. 5 and pp. 10-12. Then read on.", []string{"See p. 5 and pp. 10-12.", "Then read on."}},
		{"month before day", "On Jan. 5 the deal closed. On Feb. 3 it reopened.", []string{"On Jan. 5 the deal closed.", "On Feb. 3 it reopened."}},
		{"month at end", "It happened in Sept. The rest followed.", []string{"It happened in Sept.", "The rest followed."}},
		{"Ph.D before lower", "He has a Ph.D. from MIT.", []string{"He has a Ph.D. from MIT."}},
		{"Ph.D at end", "She got her Ph.D. She then left.", []string{"She got her Ph.D.", "She then left."}},
		{"DC", "He flew to Washington, D.C. The mayor met him.", []string{"He flew to Washington, D.C.", "The mayor met him."}},

		// Initials.
		{"middle initial", "FBI Director James B. Comey was fired. He was surprised.",
			[]string{"FBI Director James B. Comey was fired.", "He was surprised."}},
		{"dotted initials", "J.R.R. Tolkien wrote books. C.S. Lewis did too.", []string{"J.R.R. Tolkien wrote books.", "C.S. Lewis did too."}},
		{"spaced initials", "J. R. R. Tolkien wrote books.", []string{"J. R. R. Tolkien wrote books."}},
		{"initial after slash", "Image: Getty Images/A. Harrer", []string{"Image: Getty Images/A. Harrer"}},
		{"letter at end", "He chose plan B. He won.", []string{"He chose plan B.", "He won."}},

		// Times.
		{"am then capital", "The meeting was at 10 a.m. The president arrived late.",
			[]string{"The meeting was at 10 a.m.", "The president arrived late."}},
		{"am time zone", "It was scheduled for 10:30 a.m. EDT and was closed to the press.",
			[]string{"It was scheduled for 10:30 a.m. EDT and was closed to the press."}},
		{"pm lower case", "He spoke at 5 p.m. on Monday. Nobody came.", []string{"He spoke at 5 p.m. on Monday.", "Nobody came."}},
		{"pm weekday", "It starts at 9 p.m. Friday in London.", []string{"It starts at 9 p.m. Friday in London."}},
		{"pm then name", "The vote was at 2 p.m. Trump watched it.", []string{"The vote was at 2 p.m.", "Trump watched it."}},
		{"pm at end", "They met at 4 p.m.", []string{"They met at 4 p.m."}},

		// Numbers.
		{"decimals", "Growth was 3.5 percent. Revenue hit $1.2bn. Costs fell.",
			[]string{"Growth was 3.5 percent.", "Revenue hit $1.2bn.", "Costs fell."}},
		{"number at end", "Profits rose 27%. The shares fell to 9.5.", []string{"Profits rose 27%.", "The shares fell to 9.5."}},
		{"digit starts sentence", "The firm sold 100 units. 50 were returned.", []string{"The firm sold 100 units.", "50 were returned."}},
		{"pounds", "It cost £5.50. Then it rose.", []string{"It cost £5.50.", "Then it rose."}},
		{"clock", "At 10:30 the vote began. It ended at 11.", []string{"At 10:30 the vote began.", "It ended at 11."}},

		// Ellipses.
		{"ellipsis", "Wait... what happened? Nobody knows... The end!", []string{"Wait... what happened?", "Nobody knows...", "The end!"}},
		{"unicode ellipsis", "He paused… Then he spoke. And… nothing.", []string{"He paused…", "Then he spoke.", "And… nothing."}},
		{"spaced ellipsis", "He paused . . . Then he spoke.", []string{"He paused . . .", "Then he spoke."}},
		{"ellipsis in quote", `"It took a lot of guts... But I'll tell you," he said.`, []string{`"It took a lot of guts...`, `But I'll tell you," he said.`}},

		// Quotes and brackets.
		{"quote after period", `He said "no." Then he left.`, []string{`He said "no."`, "Then he left."}},
		{"curly quote after period", "He said “no.” Then he left.", []string{"He said “no.”", "Then he left."}},
		{"period after quote", `He said "no". Then he left.`, []string{`He said "no".`, "Then he left."}},
		{"question in quote then lower", `"Was he fired?" he asked sarcastically. Nobody laughed.`,
			[]string{`"Was he fired?" he asked sarcastically.`, "Nobody laughed."}},
		{"quote opens next", `It is over." "We disagree," they said.`, []string{`It is over."`, `"We disagree," they said.`}},
		{"paren sentence", "(This is an aside.) The main text continues.", []string{"(This is an aside.)", "The main text continues."}},
		{"paren abbreviation", "He said (see p. 5) that it was fine.", []string{"He said (see p. 5) that it was fine."}},
		{"single letter in parens", "Lavrov (L) made a quip. He left.", []string{"Lavrov (L) made a quip.", "He left."}},
		{"stray closing quote", "It was over. '", []string{"It was over. '"}},
		{"stray closing quotes", `It was over. " ) Then.`, []string{`It was over.`, `" ) Then.`}},
		{"kidding", `"You're kidding. You're kidding." The US secretary did not reply.`,
			[]string{`"You're kidding.`, `You're kidding."`, "The US secretary did not reply."}},

		// Question and exclamation marks.
		{"marks", "Really? Yes! Questions?! Answers.", []string{"Really?", "Yes!", "Questions?!", "Answers."}},
		{"mark then lower", "Why? because. Fine!", []string{"Why? because.", "Fine!"}},

		// URLs, e-mails, no space after the period.
		{"url and mail", "Visit www.example.com or mail info@example.org. Then call.",
			[]string{"Visit www.example.com or mail info@example.org.", "Then call."}},
		{"url with query", "See https://example.com/a.b?c=d&e=f! for details. Done.",
			[]string{"See https://example.com/a.b?c=d&e=f! for details.", "Done."}},
		{"domain at end", "It moved to example.com. The old site closed.", []string{"It moved to example.com.", "The old site closed."}},
		{"no space", "It ended.Then it began.", []string{"It ended.Then it began."}},
		{"camel case starts sentence", "It launched in 2007. iPhone sales rose.", []string{"It launched in 2007.", "iPhone sales rose."}},

		// Paragraphs.
		{"blank lines", "Title line\n\nFirst para. Second sentence.\n\nLast", []string{"Title line", "First para.", "Second sentence.", "Last"}},
		{"line mode", "Headline\nBody one. Body two.\nNext para", []string{"Headline", "Body one.", "Body two.", "Next para"}},
		{"hard wrapped", "Line one of a\nwrapped sentence.\n\nNext.", []string{"Line one of a\nwrapped sentence.", "Next."}},
		{"crlf", "One.\r\nTwo.\r\n\r\nThree four", []string{"One.", "Two.", "Three four"}},
		{"abbreviation at paragraph end", "He works at Apple Inc.\n\nThe firm grew.", []string{"He works at Apple Inc.", "The firm grew."}},

		{"bullets", "The list:\n - first item\n - second item.\n* third\n1. fourth\n12) fifth",
			[]string{"The list:", "- first item", "- second item.", "* third", "1. fourth", "12) fifth"}},
		{"not bullets", "It fell in\n2005. The firm\n-5 degrees and\n-- dashes.\n\nEnd",
			[]string{"It fell in\n2005.", "The firm\n-5 degrees and\n-- dashes.", "End"}},

		// Odd input.
		{"invalid utf8", "Bad \xff byte. Next \xe2\x80 one.", []string{"Bad \xff byte.", "Next \xe2\x80 one."}},
		{"only dots", "... . .. .", []string{"... . .. ."}},
		{"terminators only", "?!?! !!!", []string{"?!?!", "!!!"}},
		{"cjk", "日本語の文です。 Next sentence.", []string{"日本語の文です。 Next sentence."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range Sentences(tt.text) {
				got = append(got, tt.text[s.Start:s.End])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Sentences(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestSentences_spans(t *testing.T) {
	text := "  First one.\n\n  Second one.  "
	got := Sentences(text)
	want := []struct{ start, end int }{{2, 12}, {16, 27}}
	if len(got) != len(want) {
		t.Fatalf("got %d spans, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Start != w.start || got[i].End != w.end {
			t.Errorf("span %d = [%d,%d), want [%d,%d)", i, got[i].Start, got[i].End, w.start, w.end)
		}
	}
}
