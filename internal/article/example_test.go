package article_test

import (
	"fmt"

	"github.com/semsearch/semsearch/internal/article"
)

func ExampleParse() {
	page := "Council approves new bridge\n\nBy Jane Doe\nMay 12, 2017\n\nThe council voted to fund a bridge.\nAdvertisement\nWork starts in June.\n"
	arts, problems, err := article.Parse("news/bridge.txt", "bridge.txt", []byte(page), "")
	if err != nil {
		fmt.Println(err)
		return
	}
	a := arts[0]
	fmt.Println(a.Title)
	fmt.Println(a.Author, a.Published.Format("2006-01-02"))
	for _, s := range a.Skip {
		fmt.Printf("skip %q\n", a.Text[s.Start:s.End])
	}
	fmt.Println(len(problems), "problems")
	// Output:
	// Council approves new bridge
	// Jane Doe 2017-05-12
	// skip "By Jane Doe\nMay 12, 2017\n"
	// skip "Advertisement\n"
	// 0 problems
}
