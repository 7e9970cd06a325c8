// Answer extraction as the reference does it.
import Testing
@testable import MoLATrain

@Suite struct EvaluationTests {
    @Test func exactlyOneLetterAnswer() {
        #expect(Evaluation.answerLetter("Let me think. The answer is C.") == "C")
        #expect(Evaluation.answerLetter("The answer is C. The answer is D.") == nil)  // two matches: wrong
        #expect(Evaluation.answerLetter("The answer is c.") == nil)
        #expect(Evaluation.answerLetter("the answer is B") == nil)
    }

    @Test func labelAnswers() {
        #expect(Evaluation.answerLabel("Answer: equivalent") == "equivalent")
        #expect(Evaluation.answerLabel("Answer:acceptable.") == "acceptable")
        #expect(Evaluation.answerLabel("no label here") == nil)
    }

    /// A one-character answer that is not a capital letter (a one-digit sum) is scored as a label.
    @Test func oneDigitLabelsAreLabels() {
        #expect(Evaluation.prediction(for: "7", in: "Answer: 7") == "7")
        #expect(Evaluation.prediction(for: "B", in: "Answer: B") == nil)
        #expect(Evaluation.prediction(for: "B", in: "The answer is B.") == "B")
    }
}
