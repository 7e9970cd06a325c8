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
}
